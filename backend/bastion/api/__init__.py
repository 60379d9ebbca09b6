"""Blueprints, one per resource; views parse input, call a service and shape the output."""
