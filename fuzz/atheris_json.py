"""Coverage-guided fuzzing of the JSON reader, the canonicalizer and the verifier (atheris).

Usage: ``python fuzz/atheris_json.py TARGET RUNS [CORPUS_DIR]`` with TARGET one of
``json_reader``, ``canonicalizer``, ``verifier`` (see fuzz/targets.py). cerkit's modules are
instrumented, so libFuzzer steers inputs toward new branches of our code; the seed corpus
(tests/vectors and a few edge documents) starts it on real records. Prints one JSON line:
``{"target", "runs", "crashes"}``; a crash makes libFuzzer stop, print the input and exit 1.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["cerkit"]):
    import targets

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (
    b'{"a": [1, 2.5, -0.0, 1e21, 1e-7, "\\u2028", "\\ud800x"], "\\ud83d\\ude00": null}',
    b"60874857738513390",
    b"[9007199254740993, 1152921504606847000, 6.087485773851339e16]",
    b'{"b": {"c": [true, false, {"d": "\\u0000"}]}}',
)


def _seed_corpus(folder: Path) -> None:
    for number, seed in enumerate(SEEDS):
        (folder / f"seed-{number}").write_bytes(seed)
    for number, path in enumerate(sorted((ROOT / "tests" / "vectors").rglob("*.json"))[:200]):
        data = path.read_bytes()
        if len(data) < 64 * 1024:
            (folder / f"vector-{number}").write_bytes(data)


def main() -> None:
    name, runs = sys.argv[1], int(sys.argv[2])
    target = targets.TARGETS[name]
    corpus = Path(sys.argv[3]) if len(sys.argv) > 3 else Path(tempfile.mkdtemp(prefix=name))
    corpus.mkdir(parents=True, exist_ok=True)
    _seed_corpus(corpus)

    def one_input(data: bytes) -> None:
        target(data)

    atheris.Setup(
        [sys.argv[0], f"-runs={runs}", "-max_len=4096", "-rss_limit_mb=2048", str(corpus)],
        one_input,
    )
    try:
        atheris.Fuzz()
    except SystemExit as exc:  # libFuzzer exits when -runs is reached
        if exc.code not in (0, None):
            raise
    print(json.dumps({"target": name, "runs": runs, "crashes": 0}), flush=True)


if __name__ == "__main__":
    main()
