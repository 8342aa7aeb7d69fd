"""The pieces of `benchmarks/run.py`: the app wrapper, the server, the load and the scenarios."""
