"""`make bench`: Sentichat against raw baselines doing the same work, same run.

Run `python -m tests.benchmarks --help`. Nothing here is collected by pytest;
the harness's own arithmetic is tested in tests/unit/test_bench_measure.py.
"""
