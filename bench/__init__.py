"""Benchmarks for Study Companion: run `python -m bench` (see BENCHMARKS.md)."""
