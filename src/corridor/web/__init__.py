"""The server-rendered web UI for coordinators and field staff."""
