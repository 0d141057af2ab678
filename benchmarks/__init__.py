"""Speed benchmarks: each `benchmarks/bench_*.py` module has a `main` and is run with `python -m benchmarks NAME`."""
