"""Benchmarks (`make bench`): each module here exposes `run() -> dict[str, float]`."""
