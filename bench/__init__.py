"""Benchmarks of the policy engine (issues 2 and 6): run as `python -m bench.<name>`."""
