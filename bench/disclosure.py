"""Redacting and verifying a redacted record against sealing and verifying the full one.

Same run, same ~3 KB LLM-shaped records as bench/seal_verify.py (a system prompt, a chat
input, an assistant output). Each contender is timed over all records, median of repeats:

* full: ``seal_args`` then ``verify_bundle`` of the full record;
* redacted: ``redact`` (input and output withheld) then ``verify_bundle`` of the copy: every
  opening, the commitments block and both view digests are checked. The records were sealed
  as disclosable beforehand, untimed: that is the producer's work, done once.

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


def _time(fn: Callable[[], None], repeats: int) -> float:
    fn()  # warm-up
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def run(count: int, repeats: int) -> dict[str, Any]:
    records = make_records(count)
    key = private_key_from_seed(b"\x05" * 32)
    trust = TrustStore(producer_keys=(public_key_bytes(key),))
    plain = [seal_disclosable(args, created_at=CREATED_AT) for args in records]
    signed = [(sign_bundle(bundle, key), openings) for bundle, openings in plain]
    sizes = [len(dumps(seal_args(a, created_at=CREATED_AT))) for a in records]

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

    full_s, redacted_s = _time(full(False), repeats), _time(redacted(plain, False), repeats)
    full_signed_s = _time(full(True), repeats)
    redacted_signed_s = _time(redacted(signed, True), repeats)
    ratio = redacted_s / full_s
    return {
        "records": count,
        "mean_record_bytes": round(statistics.mean(sizes)),
        "full_seal_verify_us": round(full_s / count * 1e6, 1),
        "redact_verify_us": round(redacted_s / count * 1e6, 1),
        "ratio": round(ratio, 3),
        "full_seal_sign_verify_us": round(full_signed_s / count * 1e6, 1),
        "redact_verify_signed_us": round(redacted_signed_s / count * 1e6, 1),
        "ratio_signed": round(redacted_signed_s / full_signed_s, 3),
        "target": TARGET,
        "meets_target": ratio <= TARGET,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
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
