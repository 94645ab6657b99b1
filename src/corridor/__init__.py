"""Corridor: the shared, verifiable record of a humanitarian evacuation."""

__version__ = "0.1.0"
