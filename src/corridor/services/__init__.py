"""Application services: one function per use case, one transaction each."""
