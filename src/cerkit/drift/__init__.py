"""cerkit.drift: why did the same inputs give a different output? (docs/drift.md)

* :func:`execution_key` (from :mod:`cerkit.execution_key`): the digest of what "same inputs"
  means.
* :mod:`cerkit.drift.diff`: every change between two records, by facet; unknown stays unknown.
* :mod:`cerkit.drift.rules` and :mod:`cerkit.drift.attribution`: the verdict and the ranked
  candidate causes with their evidence (:func:`explain`).
* :mod:`cerkit.drift.history`: evidence from history, causes re-weighed by the ledger.
* :mod:`cerkit.drift.timeline`: change points per execution key over a ledger, explained.
* :mod:`cerkit.drift.factors`, :mod:`cerkit.drift.confirm`, :mod:`cerkit.drift.bisect`:
  confirmation by re-execution and bisection, planned and judged (pure);
  :mod:`cerkit.drift.relaunch`: their re-runs and package overlays (the process edge);
  :mod:`cerkit.drift.verdict`: the result as a sealed record.
* :mod:`cerkit.drift.html` and :mod:`cerkit.drift.render`: the offline HTML page and the
  terminal text.
* :mod:`cerkit.drift.replay`: what a record says to re-run and what the re-runs mean (pure);
  :mod:`cerkit.drift.rerun`: running it, here or in fresh interpreters (the process edge).
* :mod:`cerkit.drift.sources`: reading records from files and stores (the I/O edge).
"""

from __future__ import annotations

from cerkit.drift.attribution import Cause, Explanation, Verdict, explain
from cerkit.drift.diff import Change, RecordDiff, diff_records
from cerkit.drift.timeline import Timeline, analyze
from cerkit.execution_key import execution_key

__all__ = [
    "Cause",
    "Change",
    "Explanation",
    "RecordDiff",
    "Timeline",
    "Verdict",
    "analyze",
    "diff_records",
    "execution_key",
    "explain",
]
