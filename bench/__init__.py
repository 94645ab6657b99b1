"""Benchmarks for Corridor (not shipped with the package)."""
