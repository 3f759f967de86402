"""Benchmarks: each measures Straatwijs side by side with a baseline in one run.

Run them with `python bench/run.py [--quick]`; results are in bench/RESULTS.md.
"""
