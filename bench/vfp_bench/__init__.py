"""Benchmarks of the event pipeline (``make bench``)."""
