"""Benchmarks that print figures (``make bench`` runs bench/run.py). Not part of the test suite."""
