"""Where drift reads records from: bundle files (JSON or JSON Lines) or a record store.

This is the I/O edge of :mod:`cerkit.drift`; everything else takes values. A record named on
the command line is a file path or a certificate hash (``sha256:<hex>`` or the bare hex)
looked up in the store (``--store``, else ``CERKIT_STORE``, else ``.cerkit/ledger.db``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from cerkit.atomic import write_atomic
from cerkit.drift.golden import call_name
from cerkit.drift.timeline import Row, row_of
from cerkit.errors import CerkitError, OperationalError, Reason, SchemaError, UsageError
from cerkit.execution_key import replay_of
from cerkit.jsonio import dumps, iter_jsonl, load_file
from cerkit.ledger.base import IndexRow, RecordStore, ReplayRow, resolve_certificate_hash
from cerkit.ledger.factory import open_record_store

#: Wraps an iterable of rows given the expected count (a progress bar on a terminal).
Watch = Callable[[Iterable[IndexRow], int], Iterable[IndexRow]]

_HASH: Final[re.Pattern[str]] = re.compile(r"(?:sha256:)?([0-9a-f]{6,64})")


def read_bundles(path: str | Path) -> list[dict[str, Any]]:
    """Every bundle in a file: one JSON object, or one per line (``.jsonl``)."""
    if str(path).endswith(".jsonl"):
        bundles = []
        for number, item in iter_jsonl(path):
            if isinstance(item, CerkitError):
                raise SchemaError(f"{path}:{number}: {item.message}", item.reason)
            bundles.append(_bundle(item, f"{path}:{number}"))
        return bundles
    return [_bundle(load_file(path), str(path))]


def _bundle(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict) or not isinstance(value.get("snapshot"), dict):
        raise SchemaError(f"{where} is not a CER bundle (no snapshot object)")
    return value


def resolve(ref: str, store_url: str | None) -> dict[str, Any]:
    """A record given as a file path or as a certificate hash in the store.

    Raises:
        UsageError: ``ref`` is neither an existing file nor a certificate hash.
        OperationalError: the hash is not in the store, or the store cannot be read.
    """
    if ref == "-" or Path(ref).is_file():
        bundles = read_bundles(ref)
        if len(bundles) != 1:
            raise UsageError(f"{ref} holds {len(bundles)} records; name one")
        return bundles[0]
    match = _HASH.fullmatch(ref)
    if match is None:
        raise UsageError(f"{ref} is neither a file nor a certificate hash (or a prefix)")
    store = open_record_store(store_url)
    try:
        certificate_hash = _expand(store, match.group(1))
        bundle = store.get(certificate_hash)
    finally:
        store.close()
    if bundle is None:
        raise OperationalError(f"record {certificate_hash} is not in the store", Reason.NOT_PRESENT)
    return bundle


def _expand(store: RecordStore, hex_digits: str) -> str:
    """A full certificate hash from a unique prefix."""
    if len(hex_digits) == 64:
        return "sha256:" + hex_digits
    found = resolve_certificate_hash(store, hex_digits)
    if found is None:
        raise UsageError(f"certificate hash prefix {hex_digits} matches no record")
    return found


@dataclass
class RecordRows:
    """Rows for the timeline pass and a loader for the full records behind them.

    ``rows`` are ``(certificateHash, executionKey, time, outputHash)``: :class:`Row` from
    files, plain tuples from a store (a million :class:`Row` objects would keep the cyclic
    garbage collector busy; plain tuples of strings it stops tracking). Replays
    (``meta.replay``) are not new executions: they are never in ``rows``, only in
    ``replays`` (each row followed by the certificateHash it re-ran), the evidence of known
    nondeterminism (docs/drift.md §4c).
    """

    rows: Sequence[IndexRow]
    bundles: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    store: RecordStore | None = None
    replays: Sequence[ReplayRow] = ()

    def load(self, certificate_hash: str) -> Mapping[str, Any]:
        bundle = self.bundles.get(certificate_hash)
        if bundle is None and self.store is not None:
            bundle = self.store.get(certificate_hash)
        if bundle is None:
            raise OperationalError(f"record {certificate_hash} disappeared while reading")
        return bundle

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def rows_from_files(paths: Iterable[str], since: str | None = None) -> RecordRows:
    """Load bundles from files; rows sorted by time, replays apart."""
    bundles: dict[str, Mapping[str, Any]] = {}
    for path in paths:
        for bundle in read_bundles(path):
            bundles[str(bundle.get("certificateHash", ""))] = bundle
    rows: list[Row] = []
    replays: list[ReplayRow] = []
    for record in bundles.values():
        row, of = row_of(record), replay_of(record)
        if of is None:
            rows.append(row)
        elif not since or row.time >= since:
            replays.append((*row, of))
    rows.sort(key=lambda r: r.time)
    if since:
        rows = [r for r in rows if r.time >= since]
    return RecordRows(rows, bundles, replays=replays)


def rows_from_store(
    url: str | None,
    since: str | None = None,
    *,
    key: str | None = None,
    watch: Watch | None = None,
) -> RecordRows:
    """Read the rows of every record in the store (each key oldest first), keeping no full
    record.

    The rows come from the store's :meth:`~cerkit.ledger.base.RecordStore.index_rows`
    (compact columns kept at write time, no record parsed; replays left out) and the
    replays' from :meth:`~cerkit.ledger.base.RecordStore.replay_rows`. ``key`` keeps the
    execution keys starting with it (a range of the store's index). ``watch`` wraps the row
    iterator (given the record count), e.g. in a progress bar.
    """
    store = open_record_store(url)
    try:
        rows_iter: Iterable[IndexRow] = store.index_rows(since, key=key)
        if watch is not None:
            rows_iter = watch(rows_iter, store.count())
        rows = list(rows_iter)
        replays = list(store.replay_rows(since, key=key))
    except BaseException:
        store.close()
        raise
    return RecordRows(rows, store=store, replays=replays)


def baseline_bundles(directory: str) -> list[dict[str, Any]]:
    """Golden records: every ``*.json``/``*.jsonl`` file under ``directory``."""
    root = Path(directory)
    if not root.is_dir():
        raise UsageError(f"--baseline {directory} is not a directory")
    return [bundle for _, bundle in golden_records([root])]


def golden_records(paths: Iterable[str | Path]) -> list[tuple[str, dict[str, Any]]]:
    """``(file, bundle)`` for every record in the given files and in every ``*.json`` or
    ``*.jsonl`` file under the given folders (sorted by path, so call order is kept).

    Raises:
        UsageError: a path does not exist.
        SchemaError, MalformedJSONError: a file is not a record or a JSON Lines batch of them.
    """
    found: list[tuple[str, dict[str, Any]]] = []
    for given in paths:
        root = Path(given)
        if root.is_dir():
            files = [p for p in sorted(root.rglob("*")) if p.suffix in _RECORD_SUFFIXES]
        elif root.is_file():
            files = [root]
        else:
            raise UsageError(f"{given}: no such file or folder")
        found.extend((str(f), b) for f in files if f.is_file() for b in read_bundles(f))
    return found


_RECORD_SUFFIXES: Final[frozenset[str]] = frozenset((".json", ".jsonl"))
#: Longest call name kept in a golden file name (the file still says everything inside).
_NAME_WIDTH: Final[int] = 60


def write_golden(folder: str | Path, records: Sequence[Mapping[str, Any]]) -> list[Path]:
    """Make ``folder`` hold exactly ``records``, one ``NNN-<call>.json`` file each, in order.

    Each file is written atomically; ``*.json`` files of an earlier refresh that are not
    rewritten are removed (other files are left alone).

    Raises:
        OperationalError: a file cannot be written or removed.
    """
    root = Path(folder)
    try:
        root.mkdir(parents=True, exist_ok=True)
        written = []
        for index, record in enumerate(records, start=1):
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", call_name(record))[:_NAME_WIDTH]
            path = root / f"{index:03d}-{name}.json"
            write_atomic(path, dumps(record, pretty=True) + "\n")
            written.append(path)
        for stale in set(root.glob("*.json")) - set(written):
            stale.unlink()
    except OSError as exc:
        raise OperationalError(f"cannot write golden records in {root}: {exc.strerror}") from None
    return written
