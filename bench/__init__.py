"""Benchmarks that measure the course's speed targets (``make bench``)."""
