"""Benchmarks of footfall against the speed targets of the issues (`make bench`)."""
