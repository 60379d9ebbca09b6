"""Business logic per resource; no Flask imports, so the CLI and the views call the same functions."""
