"""A key directory on disk: private key files and the key document with their lifecycle.

Layout of a key directory (default ``.cerkit/keys/``, or ``$CERKIT_KEY_DIR``)::

    keys.json        the public key document (cerkit.keys.v1, with lifecycle)
    <kid>.key        one PKCS#8 PEM private key per key id, mode 0600

The directory is created 0700. Rotation keeps old keys, marked ``retired``; revocation
records a time and a reason. The clock is injected, so fixtures are reproducible.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cerkit.atomic import write_atomic
from cerkit.checkpoint import check_key_name
from cerkit.errors import InvalidRecordError, OperationalError, UsageError
from cerkit.jsonio import dumps, load_file
from cerkit.keys import (
    KeyDocument,
    KeyEntry,
    KeyState,
    generate_private_key,
    key_id,
    load_private_key,
    public_key_bytes,
    save_private_key,
)
from cerkit.seal import iso_now

DEFAULT_KEY_DIR: Final[str] = ".cerkit/keys"
DOCUMENT_NAME: Final[str] = "keys.json"


def key_dir(path: str | None = None) -> Path:
    """``path``, else ``$CERKIT_KEY_DIR``, else the project configuration's ``store.key_dir``
    (:mod:`cerkit.config`), else ``.cerkit/keys``."""
    if path or os.environ.get("CERKIT_KEY_DIR"):
        return Path(path or os.environ["CERKIT_KEY_DIR"])
    from cerkit.config import project_store

    return Path(project_store().key_dir or DEFAULT_KEY_DIR)


def check_names(node_id: str, origin: str = "", *, where: str = "") -> None:
    """The node id and the log origin (the node id when empty) must be valid signed-note key
    names: they name the node's checkpoints (c2sp.org/tlog-checkpoint).

    Raises:
        InvalidRecordError: ``KEY_NAME_INVALID``.
    """
    suffix = f" in {where}" if where else ""
    check_key_name(node_id, f"node id{suffix}")
    if origin:
        check_key_name(origin, f"log origin{suffix}")


class KeyRing:
    """The keys in one directory."""

    def __init__(self, directory: str | Path, now: Callable[[], str] = iso_now) -> None:
        self.directory = Path(directory)
        self.now = now

    @property
    def document_path(self) -> Path:
        return self.directory / DOCUMENT_NAME

    def private_key_path(self, kid: str) -> Path:
        return self.directory / f"{kid}.key"

    def exists(self) -> bool:
        return self.document_path.exists()

    def load(self) -> KeyDocument:
        if not self.exists():
            raise OperationalError(
                f"no key directory at {self.directory}; create one with cerkit keys generate"
            )
        document = KeyDocument.from_json(load_file(self.document_path))
        check_names(document.node_id, document.origin, where=str(self.document_path))
        return document

    def save(self, document: KeyDocument) -> None:
        """Replace the key document atomically."""
        write_atomic(self.document_path, dumps(document.to_json(), pretty=True) + "\n")

    def _new_entry(self) -> KeyEntry:
        key = generate_private_key()
        if self.directory.exists() and not self.directory.is_dir():
            raise OperationalError(f"key directory {self.directory} is a file, not a directory")
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise OperationalError(f"cannot create {self.directory}: {exc.strerror}") from None
        save_private_key(key, self.private_key_path(key_id(key)))
        return KeyEntry(key_id(key), public_key_bytes(key), KeyState.ACTIVE, created_at=self.now())

    def generate(self, node_id: str, origin: str = "") -> KeyEntry:
        """Create the first active key (and the directory). Use :meth:`rotate` afterwards.

        Raises:
            UsageError: ``KEY_NAME_INVALID`` when ``node_id`` or ``origin`` cannot name a
                log's checkpoints (nothing is created then).
        """
        try:
            check_names(node_id, origin)
        except InvalidRecordError as exc:
            raise UsageError(exc.message, exc.reason) from None
        if self.exists():
            document = self.load()
            if document.active is not None:
                raise UsageError(f"{self.directory} already has an active key; use rotate")
            entry = self._new_entry()
            self.save(document.with_key(entry))
            return entry
        entry = self._new_entry()
        self.save(KeyDocument(node_id=node_id, keys=(entry,), origin=origin))
        return entry

    def rotate(self) -> tuple[KeyEntry | None, KeyEntry]:
        """Retire the active key (kept, still published) and create a new active one."""
        document = self.load()
        old = document.active
        if old is not None:
            document = document.with_state(old.kid, KeyState.RETIRED, self.now())
        entry = self._new_entry()
        self.save(document.with_key(entry))
        return old, entry

    def revoke(self, kid: str, reason: str, at: str | None = None) -> KeyEntry:
        """Mark ``kid`` revoked at ``at`` (default now): what it signed from then on fails."""
        document = self.load().with_state(kid, KeyState.REVOKED, at or self.now(), reason)
        self.save(document)
        entry = document.find(kid)
        assert entry is not None
        return entry

    def private_key(self, kid: str | None = None) -> Ed25519PrivateKey:
        """The private key of ``kid``, or of the active key."""
        if kid is None:
            active = self.load().active
            if active is None:
                raise UsageError(f"no active key in {self.directory}")
            kid = active.kid
        return load_private_key(self.private_key_path(kid))
