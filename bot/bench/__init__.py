"""`make bench`: the benchmarks of the NLU, the gateway and the whole stack."""
