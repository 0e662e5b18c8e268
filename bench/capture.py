"""Capture overhead: a recorded call of a trivial function against the plain call.

* ``record_overhead_us``: median time of one ``@cerkit.record`` call minus the median time of
  the same function unrecorded, in microseconds. The fingerprint is warm (captured once per
  process, as in real use) and the record is sealed and handed to the SQLite store's
  background writer: the store write is included, on the writer thread.
* ``record_amortized_us``: wall time of the whole batch of recorded calls *including* the
  final ``flush()`` (every record committed to the database), divided by the number of
  calls, minus the plain call: what a long loop really pays, writer work included.
* ``record_sync_store_us``: the same median with the store written synchronously
  (``store.put`` on the calling thread, one transaction per record), for comparison.
* ``fingerprint_cold_ms``: the first ``fingerprint()`` of a fresh interpreter, import of
  the capture module included (median of several fresh subprocesses). The baseline in the
  same run is ``python -c pass`` plus ``import numpy`` in a fresh interpreter.

* ``imported_recompute_ms``: what the ``imported`` part costs when it must be recomputed
  (modules were loaded since the last record): one recorded call right after importing a
  batch of standard-library modules, minus a warm recorded call, in a fresh interpreter.
  Warm, unchanged calls reuse it (inside ``record_overhead_us``).
* ``distribution_index_ms``: cerkit's one pass over the installed distributions (versions
  and module ownership for every install kind) in a fresh interpreter; the baseline in the
  same run is ``importlib.metadata.packages_distributions()`` plus reading each version.

Targets (issue 3): <= 100 us per recorded call, <= 500 ms cold fingerprint. Run
``python bench/capture.py`` or ``--json``. The machine is shared: numbers are noisy, compare
ratios from one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CALLS = 5000
FRESH_RUNS = 5


def trivial(a: int, b: int = 2) -> int:
    return a + b


def _median_us(fn: Callable[[], Any], calls: int) -> float:
    samples = []
    for _ in range(calls):
        start = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - start)
    return statistics.median(samples) / 1000


def _recorded(store: Any) -> Callable[..., Any]:
    from cerkit.capture.recorder import record

    return record(trivial, store=store)


def measure_calls(folder: Path) -> dict[str, float]:
    from cerkit.ledger.sqlite import SQLiteRecordStore

    plain = _median_us(lambda: trivial(1), CALLS)
    queued_store = SQLiteRecordStore(folder / "queued.db")
    recorded = _recorded(queued_store)
    for _ in range(200):  # warm: fingerprint, code digest, store connection
        recorded(1)
    queued_store.flush()
    median = _median_us(lambda: recorded(1), CALLS)
    start = time.perf_counter()
    for _ in range(CALLS):
        recorded(1)
    queued_store.flush()
    amortized = (time.perf_counter() - start) / CALLS * 1e6
    stored = queued_store.count()
    queued_store.close()

    class SyncOnly(SQLiteRecordStore):  # every record is written on the calling thread
        def put_later(self, bundle: Any) -> None:
            self.put(bundle)

    sync_store = SyncOnly(folder / "sync.db")
    sync = _recorded(sync_store)
    for _ in range(200):
        sync(1)
    sync_median = _median_us(lambda: sync(1), CALLS)
    sync_store.close()
    return {
        "plain_call_us": plain,
        "recorded_call_us": median,
        "record_overhead_us": median - plain,
        "record_amortized_us": amortized - plain,
        "record_sync_store_us": sync_median - plain,
        "records_stored": stored,
    }


def _fresh_ms(code: str) -> float:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True, timeout=300)  # fmt: skip
    return float(done.stdout.strip())


COLD = (
    "import time; t = time.perf_counter(); "
    "from cerkit.capture.fingerprint import fingerprint; fingerprint(); "
    "print((time.perf_counter() - t) * 1000)"
)
NUMPY = (
    "import time; t = time.perf_counter(); import numpy; print((time.perf_counter() - t) * 1000)"
)


RECOMPUTE = (
    "import time\n"
    "from cerkit.capture.recorder import record\n"
    "def f(x):\n    return x\n"
    "r = record(f, store=False)\n"
    "for _ in range(50):\n    r(1)\n"
    "t = time.perf_counter(); r(1); warm = time.perf_counter() - t\n"
    "import xml.dom.minidom, email.mime.text, http.client, logging.handlers, decimal\n"
    "t = time.perf_counter(); r(1); cold = time.perf_counter() - t\n"
    "print((cold - warm) * 1000)"
)
INDEX = (
    "import time; t = time.perf_counter(); "
    "from cerkit.capture._distributions import Index; Index(); "
    "print((time.perf_counter() - t) * 1000)"
)
PACKAGES_DISTRIBUTIONS = (
    "import time; t = time.perf_counter(); "
    "from importlib.metadata import distributions, packages_distributions; "
    "packages_distributions(); [d.version for d in distributions()]; "
    "print((time.perf_counter() - t) * 1000)"
)


def measure_cold() -> dict[str, float]:
    def median(code: str) -> float:
        return statistics.median(_fresh_ms(code) for _ in range(FRESH_RUNS))

    return {
        "fingerprint_cold_ms": median(COLD),
        "numpy_import_ms": median(NUMPY),
        "imported_recompute_ms": median(RECOMPUTE),
        "distribution_index_ms": median(INDEX),
        "packages_distributions_ms": median(PACKAGES_DISTRIBUTIONS),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        results = measure_calls(Path(folder))
    results.update(measure_cold())
    results["fingerprint_cold_vs_numpy_import"] = (
        results["fingerprint_cold_ms"] / results["numpy_import_ms"]
    )
    results["distribution_index_vs_packages_distributions"] = (
        results["distribution_index_ms"] / results["packages_distributions_ms"]
    )
    results["targets_met"] = (
        results["record_overhead_us"] <= 100 and results["fingerprint_cold_ms"] <= 500
    )
    if args.json:
        print(json.dumps(results))
        return 0
    print(f"plain call            {results['plain_call_us']:8.2f} us")
    print(
        f"recorded call         {results['recorded_call_us']:8.2f} us (median, queued store write)"
    )
    print(f"record overhead       {results['record_overhead_us']:8.2f} us  (target <= 100)")
    print(
        f"  amortized + flush   {results['record_amortized_us']:8.2f} us  (every record committed)"
    )
    print(f"  synchronous store   {results['record_sync_store_us']:8.2f} us")
    print(f"cold fingerprint      {results['fingerprint_cold_ms']:8.1f} ms  (target <= 500)")
    print(f"  baseline numpy import {results['numpy_import_ms']:6.1f} ms "
          f"(ratio {results['fingerprint_cold_vs_numpy_import']:.2f})")  # fmt: skip
    print(
        f"imported recomputed   {results['imported_recompute_ms']:8.2f} ms  (modules loaded since)"
    )
    print(f"distribution index    {results['distribution_index_ms']:8.1f} ms  (baseline "
          f"packages_distributions {results['packages_distributions_ms']:.1f} ms, ratio "
          f"{results['distribution_index_vs_packages_distributions']:.2f})")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
