"""Adapters to SQLite and PostgreSQL through SQLAlchemy Core."""
