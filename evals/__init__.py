"""Eval suites that score the agent in `mutable/` (read-only to the agent).

`python -m evals.run --suite NAME --out FILE` runs suites and writes `core.records.Scores` JSON.
"""
