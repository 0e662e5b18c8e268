"""Confirmation over a ledger, history on real records, and verdicts that are signed and
attested like any record."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from rerun_kit import CERKIT, cerkit_json, environment, install, record, write_app

SET_ORDER = """
WORDS = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu".split()

@record
def pick(n):
    return list(set(WORDS))[:n]
"""


def _put(store: Path, *records: Path) -> None:
    from cerkit.ledger import open_record_store

    opened = open_record_store(str(store))
    try:
        for path in records:
            opened.put(json.loads(path.read_text()))
    finally:
        opened.close()


def test_drift_confirm_confirms_the_cause_at_the_change_point(tmp_path: Path) -> None:
    app = write_app(tmp_path / "app", SET_ORDER)
    env_a = environment(PYTHONHASHSEED="1", OMP_NUM_THREADS="1")
    env_b = environment(PYTHONHASHSEED="2", OMP_NUM_THREADS="2")
    paths = [
        record(app, tmp_path / f"r{i}.json", "pick", [5], env_a if i < 2 else env_b)
        for i in range(4)
    ]
    ledger = tmp_path / "ledger.jsonl"
    ledger.write_text("".join(p.read_text().strip() + "\n" for p in paths))
    replays = tmp_path / "replays.db"
    result = cerkit_json(
        ["drift", str(ledger), "--confirm", "--replay-store", str(replays)], app, env_b
    )
    assert result["changePoints"] == 1
    (point,) = result["confirmations"]
    assert point["confirmation"]["confirmed"] == ["environment:PYTHONHASHSEED"]
    assert point["before"] == json.loads(paths[1].read_text())["certificateHash"]
    again = cerkit_json(["drift", str(ledger)], app, env_b)
    assert again["records"] == 4, "re-runs never join the ledger drift reads"


USES_TINYPKG = """
import decoypkg
import tinypkg

@record
def predict(x):
    return [round(x * tinypkg.SCALE, 6), len(decoypkg.__name__)]
"""


def test_history_in_the_store_ranks_a_package_that_moved_quietly_below_the_real_cause(
    tmp_path: Path, wheelhouse: Path
) -> None:
    site = install(tmp_path / "site", wheelhouse, "tinypkg==1.0", "decoypkg==1.0")
    app = write_app(tmp_path / "app", USES_TINYPKG)
    r0 = record(app, tmp_path / "r0.json", "predict", [2.0], environment(site))
    install(site, wheelhouse, "decoypkg==1.1")  # moves, the output does not
    r1 = record(app, tmp_path / "r1.json", "predict", [2.0], environment(site))
    install(site, wheelhouse, "decoypkg==1.0", "tinypkg==2.0")
    r2 = record(app, tmp_path / "r2.json", "predict", [2.0], environment(site))
    store = tmp_path / "ledger.db"
    _put(store, r0, r1, r2)
    plain = cerkit_json(["explain", str(r1), str(r2)], app, environment(site))
    assert plain["explanation"]["evidenceUsed"] == [plain["explanation"]["evidenceUsed"][0]]
    weighed = cerkit_json(
        ["explain", str(r1), str(r2), "--store", str(store)], app, environment(site)
    )
    causes = weighed["explanation"]["causes"]
    assert causes[0]["subject"] == "tinypkg"
    decoy = next(c for c in causes if c["subject"] == "decoypkg")
    assert decoy["score"] == 40 and "without moving the output" in decoy["evidence"][-1]
    assert any(e.startswith("history:") for e in weighed["explanation"]["evidenceUsed"])


def test_a_verdict_is_signed_and_attested_and_verifies_at_the_attested_level(
    tmp_path: Path,
) -> None:
    from cerkit.keys import generate_private_key, save_private_key
    from cerkit.node.embedded import open_embedded_node

    app = write_app(tmp_path / "app", SET_ORDER)
    a = record(app, tmp_path / "a.json", "pick", [3], environment(PYTHONHASHSEED="1"))
    env_b = environment(PYTHONHASHSEED="4")
    b = record(app, tmp_path / "b.json", "pick", [3], env_b)
    key = tmp_path / "producer.key"
    save_private_key(generate_private_key(), key)
    out = tmp_path / "verdict.json"
    args = ["explain", str(a), str(b), "--confirm", "--replay-store", str(tmp_path / "r.db")]
    result = cerkit_json([*args, "--sign", str(key), "--out", str(out)], app, env_b)
    verdict = json.loads(out.read_text())
    assert verdict["certificateHash"] == result["verdictRecord"]
    assert verdict["snapshot"]["output"]["confirmed"] == ["environment:PYTHONHASHSEED"]
    assert "producer" in verdict["meta"]
    node_key = tmp_path / "node.key"
    save_private_key(generate_private_key(), node_key)
    with open_embedded_node(str(tmp_path / "node.db"), str(node_key)) as node:
        attested = node.attest(verdict)
        (tmp_path / "trust.json").write_text(json.dumps(node.key_document()))
    (tmp_path / "attested.json").write_text(json.dumps(attested))
    command = [CERKIT, "verify", str(tmp_path / "attested.json"), "--json"]
    command += ["--trust", str(tmp_path / "trust.json")]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    report = json.loads(done.stdout)
    assert report["verdict"] == "VERIFIED", done.stdout
    assert report["assurance"] in ("attested", "logged")
