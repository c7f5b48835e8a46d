"""`make bench`: the dashboard measured against the two-round-trip floor and the naive approach, in one run.

Run it with `make bench` (or `.venv/bin/python -m bench --help`). It prints a table and writes the same
table to bench/results/latest.md. See README.md ("Benchmark").
"""
