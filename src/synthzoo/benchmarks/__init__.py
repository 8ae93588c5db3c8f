"""Benchmarks: speed of generation, and cross-domain generalization (runner, metrics, records)."""
