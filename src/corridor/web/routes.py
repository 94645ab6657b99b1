"""Web UI routes (placeholder until the UI lands)."""

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    return None
