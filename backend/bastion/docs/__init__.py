"""OpenAPI 3.1 documents: per data service from its live schema, and the admin API's own."""
