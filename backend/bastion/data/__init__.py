"""Database connectors, the filter parser and the query builder for data services."""
