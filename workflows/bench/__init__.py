"""`groupgov bench`: performance figures of the product against the raw engine (see run_benchmarks)."""
