"""``cerkit demo`` ends with sealed, signed, attested and logged records, no server needed."""

from __future__ import annotations

from pathlib import Path

from node_checks import cli

from cerkit.ledger import open_record_store


def test_demo_attests_and_logs_every_record_on_the_local_store(tmp_path: Path) -> None:
    done = cli("demo", cwd=tmp_path)
    assert done.stdout.count("VERIFIED logged") == 3, done.stdout
    assert "transparency log: 3 entries" in done.stdout
    store = open_record_store(str(tmp_path / ".cerkit" / "ledger.db"))
    try:
        metas = [r.get("meta") or {} for r in store.query()]
    finally:
        store.close()
    assert len(metas) == 3
    assert all({"producer", "attestation"} <= set(m) for m in metas), metas
    assert sorted(m["attestation"]["logIndex"] for m in metas) == [0, 1, 2]
    assert (tmp_path / ".cerkit" / "node.key").stat().st_mode & 0o077 == 0
