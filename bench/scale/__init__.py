"""A large synthetic clinic for the scale benchmark: `python -m bench.scale --help`.

Benchmark data, not part of the clinic's domain: it lives beside the benchmark that uses it
(bench/pages/ seeds its scale database with it) and no app imports it.
"""
