"""Benchmarks: `make bench` runs them all. They measure; they never assert.
Figures go in docs/benchmarks.md with the command and the machine."""
