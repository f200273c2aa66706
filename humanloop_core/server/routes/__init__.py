"""Routers of the server, one module per family of operations."""
