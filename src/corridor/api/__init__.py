"""The HTTP API (FastAPI): thin resources over the services."""
