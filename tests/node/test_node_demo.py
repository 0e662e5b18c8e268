"""``cerkit demo`` ends with sealed, signed, attested and logged records, no server needed."""

from __future__ import annotations

from pathlib import Path

from node_checks import cli

from cerkit.ledger import open_record_store


def test_demo_attests_and_logs_every_record_on_the_local_store(tmp_path: Path) -> None:
    done = cli("demo", cwd=tmp_path)
    # three scikit-learn records and three LLM calls through the openai client
    assert done.stdout.count("VERIFIED logged") == 6, done.stdout
    assert "transparency log: 6 entries" in done.stdout
    assert "LOCAL STAND-IN" in done.stdout
    assert "2 vs 3: DRIFT_EXPLAINED" in done.stdout and "the served model changed" in done.stdout
    store = open_record_store(str(tmp_path / ".cerkit" / "ledger.db"))
    try:
        metas = [r.get("meta") or {} for r in store.query()]
    finally:
        store.close()
    assert len(metas) == 6
    assert all({"producer", "attestation"} <= set(m) for m in metas), metas
    assert sorted(m["attestation"]["logIndex"] for m in metas) == list(range(6))
    assert (tmp_path / ".cerkit" / "node.key").stat().st_mode & 0o077 == 0
