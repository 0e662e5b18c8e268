"""Redacting and verifying a redacted record against sealing and verifying the full one.

Same run, same ~3 KB LLM-shaped records as bench/seal_verify.py (a system prompt, a chat
input, an assistant output). Each contender is timed over all records; the repeats are
interleaved (each repeat times one pass of every contender, in a rotated order, each right
after an untimed warm-up pass of its own), so a burst of load from other processes hits all
of them alike, and the figures are medians over the repeats of the CPU time this process
spent (``time.process_time_ns``: the work is CPU-bound, and on a shared machine wall time
also counts the time other processes held the core):

* full: ``seal_args`` then ``verify_bundle`` of the full record;
* redacted: ``redact`` (input and output withheld) then ``verify_bundle`` of the copy: every
  opening and the commitments block are checked, and both view digests when a binding names
  them (the signed comparison). The records were sealed as disclosable beforehand, untimed:
  that is the producer's work, done once.

Two comparisons, each like for like: ``ratio`` without signatures (the target: ≤ 2×), and
``ratio_signed`` with the producer key trusted on both sides (the full record's verify checks
one Ed25519 signature; the copy's checks two, its layer 2 signature and its layer 5 binding;
one Ed25519 verification costs several times a whole unsigned seal + verify here).
Run ``python bench/disclosure.py`` or ``--json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from cerkit.disclosure import redact, seal_disclosable
from cerkit.jsonio import dumps
from cerkit.keys import private_key_from_seed, public_key_bytes
from cerkit.seal import seal_args
from cerkit.signing import sign_bundle
from cerkit.verify import verify_bundle
from cerkit.verify.trust import TrustStore
from seal_verify import CREATED_AT, make_records

TARGET = 2.0
WITHHOLD = ["snapshot.input", "snapshot.output"]


def _passes(count: int) -> dict[str, Callable[[], None]]:
    """One pass over the records for each contender (see the module docstring)."""
    records = make_records(count)
    key = private_key_from_seed(b"\x05" * 32)
    trust = TrustStore(producer_keys=(public_key_bytes(key),))
    plain = [seal_disclosable(args, created_at=CREATED_AT) for args in records]
    signed = [(sign_bundle(bundle, key), openings) for bundle, openings in plain]

    def full(sign: bool) -> Callable[[], None]:
        def go() -> None:
            for args in records:
                bundle = seal_args(args, created_at=CREATED_AT)
                if sign:
                    bundle = sign_bundle(bundle, key)
                assert verify_bundle(bundle, trust=trust if sign else None).ok

        return go

    def redacted(prepared: list[Any], sign: bool) -> Callable[[], None]:
        def go() -> None:
            for bundle, openings in prepared:
                copy = redact(bundle, openings, WITHHOLD)
                report = verify_bundle(copy, trust=trust if sign else None)
                assert report.ok and report.withheld

        return go

    return {
        "full": full(False),
        "redacted": redacted(plain, False),
        "full_signed": full(True),
        "redacted_signed": redacted(signed, True),
    }


def run(count: int, repeats: int) -> dict[str, Any]:
    passes = _passes(count)
    sizes = [len(dumps(seal_args(a, created_at=CREATED_AT))) for a in make_records(count)]
    samples: dict[str, list[float]] = {name: [] for name in passes}
    order = list(passes)
    for repeat in range(repeats):
        shift = repeat % len(order)  # rotated, so a burst of load does not always hit one
        for name in order[shift:] + order[:shift]:
            passes[name]()  # warm-up pass, not counted
            start = time.process_time_ns()
            passes[name]()
            samples[name].append((time.process_time_ns() - start) / count / 1000)
    us = {name: statistics.median(values) for name, values in samples.items()}
    ratio = us["redacted"] / us["full"]
    return {
        "records": count,
        "mean_record_bytes": round(statistics.mean(sizes)),
        "full_seal_verify_us": round(us["full"], 1),
        "redact_verify_us": round(us["redacted"], 1),
        "ratio": round(ratio, 3),
        "full_seal_sign_verify_us": round(us["full_signed"], 1),
        "redact_verify_signed_us": round(us["redacted_signed"], 1),
        "ratio_signed": round(us["redacted_signed"] / us["full_signed"], 3),
        "target": TARGET,
        "meets_target": ratio <= TARGET,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = run(args.records, args.repeats)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['records']} records of ~{result['mean_record_bytes']} bytes\n"
            f"full: seal + verify      {result['full_seal_verify_us']:>9.1f} us/record\n"
            f"redacted: redact + verify {result['redact_verify_us']:>8.1f} us/record\n"
            f"ratio {result['ratio']:.2f}x (target <= {TARGET}x): "
            + ("meets" if result["meets_target"] else "MISSES")
            + f"\nsigned, key trusted: full seal + sign + verify "
            f"{result['full_seal_sign_verify_us']:.1f} us, redact + verify "
            f"{result['redact_verify_signed_us']:.1f} us, ratio {result['ratio_signed']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
