"""Salted commitments to the disclosable fields of a record (docs/spec.md §7).

A disclosable record carries, in its hashed snapshot field ``disclosure``, one commitment per
*leaf*: the whole ``prompt``, ``input`` or ``output`` when it is a scalar, one per key when it
is an object, one per element when it (or one of its keys) is an array (a chat's messages).
A leaf at ``path`` with value ``v`` and a fresh 128-bit ``salt`` commits as::

    commitment = sha256(canonical(["cerkit.disclosure.v1", salt, path, v]))
    saltTag    = sha256(canonical(["cerkit.disclosure.salt.v1", salt, path]))

The salt tag reveals nothing about ``v``; it lets a verifier tell a wrong salt from a changed
value. The *commitment view* of a record is its hashed projection with every leaf replaced by
its commitment and ``inputHash``/``outputHash`` removed: a full record and every redacted copy
of it have the same view, whose digest (the root) a producer signature or node receipt binds.
Pure: salts come from an injected source (``secrets.token_bytes`` by default).
"""

from __future__ import annotations

import functools
import json
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from cerkit.bundle import certificate_payload, profile_for
from cerkit.canonical import Profile, canonicalize
from cerkit.digest import DIGEST_PATTERN, HexDigest, sha256_hex
from cerkit.errors import CerkitError, InvalidRecordError, Reason
from cerkit.keys import b64url_decode, b64url_encode

SCHEME: Final[str] = "cerkit.disclosure.v1"
SALT_DOMAIN: Final[str] = "cerkit.disclosure.salt.v1"
ROOT_DOMAIN: Final[str] = "cerkit.disclosure.root.v1"
COMMITMENTS_DOMAIN: Final[str] = "cerkit.disclosure.commitments.v1"
#: The hashed snapshot field that holds the commitments.
FIELD: Final[str] = "disclosure"
#: The snapshot fields that may be withheld by default; the recorder adds effectiveParameters.
DEFAULT_FIELDS: Final[tuple[str, ...]] = ("prompt", "input", "output")
#: Every snapshot field a disclosure block may name.
_FIELDS_ALLOWED: Final[frozenset[str]] = frozenset(
    (*DEFAULT_FIELDS, "parameters", "effectiveParameters")
)
#: The unsalted digest each field carries in NexArt's snapshot: dropped from a copy that
#: withholds any part of the field, since it would let anyone confirm a guess.
UNSALTED_DIGESTS: Final[Mapping[str, str]] = {"input": "inputHash", "output": "outputHash"}
#: 128-bit salts: guessing one is as hard as finding a SHA-256 preimage of a random value.
SALT_BYTES: Final[int] = 16
#: A record names at most this many leaves: bounds the work a hostile record can demand.
MAX_LEAVES: Final[int] = 4096
#: What stands for a withheld value in a redacted copy: ``{"$withheld": commitment}``.
MARKER: Final[str] = "$withheld"

Step = str | int
Locator = tuple[Step, ...]
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_TOKEN = re.compile(r'\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


@functools.lru_cache(maxsize=4096)
def path_of(locator: Locator) -> str:
    """``("input", "messages", 0)`` -> ``snapshot.input.messages[0]``; odd keys are quoted."""
    out = "snapshot"
    for step in locator:
        if isinstance(step, int):
            out += f"[{step}]"
        elif _IDENT.match(step):
            out += "." + step
        else:
            out += "[" + json.dumps(step, ensure_ascii=True) + "]"
    return out


@functools.lru_cache(maxsize=4096)
def locator_of(path: str) -> Locator:
    """The inverse of :func:`path_of`.

    Raises:
        InvalidRecordError: ``DISCLOSURE_MALFORMED`` for a path it does not write.
    """
    if not isinstance(path, str) or not path.startswith("snapshot"):
        raise _malformed(f"not a snapshot path: {path!r}")
    steps: list[Step] = []
    at = len("snapshot")
    while at < len(path):
        match = _TOKEN.match(path, at)
        if match is None:
            raise _malformed(f"not a snapshot path: {path!r}")
        key, index, quoted = match.groups()
        steps.append(
            key if key is not None else int(index) if index is not None else json.loads(quoted)
        )
        at = match.end()
    if not steps or path_of(tuple(steps)) != path:
        raise _malformed(f"not a canonical snapshot path: {path!r}")
    return tuple(steps)


def leaves(snapshot: Mapping[str, Any], fields: tuple[str, ...]) -> Iterator[Locator]:
    """The locators of every leaf of ``fields`` present in ``snapshot``, in order."""
    for name in fields:
        if name not in snapshot:
            continue
        value = snapshot[name]
        if isinstance(value, dict) and value and MARKER not in value:
            for key, item in value.items():
                yield from _list_leaves((name, key), item)
        else:
            yield from _list_leaves((name,), value)


def _list_leaves(prefix: Locator, value: Any) -> Iterator[Locator]:
    if isinstance(value, list) and value:
        for index in range(len(value)):
            yield (*prefix, index)
    else:
        yield prefix


def clone(value: Any) -> Any:
    """A deep copy of a JSON value (objects and arrays copied, scalars shared): several
    times faster than ``copy.deepcopy``, which a shared copy of every record pays."""
    kind = type(value)
    if kind is dict:
        return {k: clone(v) for k, v in value.items()}
    if kind is list:
        return [clone(v) for v in value]
    return value


def get_at(root: Any, locator: Locator) -> Any:
    for step in locator:
        root = root[step]
    return root


def set_at(root: Any, locator: Locator, value: Any) -> None:
    get_at(root, locator[:-1])[locator[-1]] = value


def commit(salt: str, path: str, value: Any, profile: Profile) -> HexDigest:
    """``sha256(canonical([SCHEME, salt, path, value]))``."""
    return sha256_hex(canonicalize([SCHEME, salt, path, value], profile))


def salt_tag(salt: str, path: str, profile: Profile) -> HexDigest:
    return sha256_hex(canonicalize([SALT_DOMAIN, salt, path], profile))


def new_salt(token: Callable[[int], bytes] = secrets.token_bytes) -> str:
    return b64url_encode(token(SALT_BYTES))


def disclosure_block(
    snapshot: Mapping[str, Any],
    fields: tuple[str, ...] = DEFAULT_FIELDS,
    token: Callable[[int], bytes] = secrets.token_bytes,
) -> tuple[dict[str, Any], dict[str, str]]:
    """The ``disclosure`` field for a snapshot (or createSnapshot arguments) and the salts.

    Raises:
        InvalidRecordError: more than :data:`MAX_LEAVES` leaves; CanonicalizationError.
    """
    profile = profile_for(snapshot)
    commitments: dict[str, dict[str, str]] = {}
    salts: dict[str, str] = {}
    for locator in leaves(snapshot, fields):
        if len(salts) >= MAX_LEAVES:
            raise _malformed(f"more than {MAX_LEAVES} disclosable leaves")
        path, salt = path_of(locator), new_salt(token)
        value = get_at(snapshot, locator)
        commitments[path] = {
            "commitment": commit(salt, path, value, profile),
            "saltTag": salt_tag(salt, path, profile),
        }
        salts[path] = salt
    return {"scheme": SCHEME, "fields": list(fields), "commitments": commitments}, salts


def read_block(snapshot: Mapping[str, Any]) -> tuple[tuple[str, ...], dict[str, Any]]:
    """``(fields, commitments)`` of a snapshot's disclosure field, checked for shape.

    Raises:
        InvalidRecordError: ``DISCLOSURE_MALFORMED``.
    """
    block = snapshot.get(FIELD)
    if not isinstance(block, dict) or block.get("scheme") != SCHEME:
        raise _malformed(f"snapshot.{FIELD} is not a {SCHEME} block")
    fields, commitments = block.get("fields"), block.get("commitments")
    if not isinstance(fields, list) or not all(f in _FIELDS_ALLOWED for f in fields):
        raise _malformed(
            "disclosure.fields must name prompt, input, output, parameters, effectiveParameters"
        )
    if not isinstance(commitments, dict) or len(commitments) > MAX_LEAVES:
        raise _malformed("disclosure.commitments must be an object of at most {MAX_LEAVES} paths")
    expected = [path_of(loc) for loc in leaves(snapshot, tuple(fields))]
    # the leaves (paths this module writes) must be exactly the committed paths
    if len(expected) != len(commitments) or not commitments.keys() >= set(expected):
        raise _malformed("the commitments do not name exactly the record's disclosable leaves")
    match = DIGEST_PATTERN.fullmatch
    for path, entry in commitments.items():
        if type(entry) is not dict:
            raise _malformed(f"commitment of {path} must carry two sha256 digests")
        commitment, tag = entry.get("commitment"), entry.get("saltTag")
        if (
            type(commitment) is not str
            or type(tag) is not str
            or not (match(commitment) and match(tag))
        ):
            raise _malformed(f"commitment of {path} must carry two sha256 digests")
    return tuple(fields), commitments


def replaced(root: Any, locator: Locator, value: Any) -> Any:
    """A copy of ``root`` with ``value`` at ``locator``: only the containers on the way are
    copied (shallow), so the rest of a large record is shared, not duplicated."""
    if not locator:
        return value
    head, rest = locator[0], locator[1:]
    out: Any = list(root) if isinstance(root, list) else dict(root)
    out[head] = replaced(root[head], rest, value)
    return out


def view_digests(
    bundle: Mapping[str, Any], block: tuple[tuple[str, ...], dict[str, Any]] | None = None
) -> tuple[HexDigest, HexDigest]:
    """``(commitments digest, root)``: the two digests a binding signs (module docstring).

    ``block`` is what :func:`read_block` returned for this snapshot, when the caller has it."""
    snapshot = bundle["snapshot"]
    fields, commitments = block if block is not None else read_block(snapshot)
    profile = profile_for(snapshot)
    view = dict(snapshot)
    for path, entry in commitments.items():
        locator = locator_of(path)
        view[locator[0]] = replaced(view[locator[0]], locator[1:], entry["commitment"])
    for name in fields:
        digest_field = UNSALTED_DIGESTS.get(name)
        if digest_field:
            view.pop(digest_field, None)
    payload = {**certificate_payload(bundle), "snapshot": view}
    block = snapshot[FIELD]
    return (
        sha256_hex(canonicalize([COMMITMENTS_DOMAIN, block], profile)),
        sha256_hex(canonicalize([ROOT_DOMAIN, payload], profile)),
    )


def check_salt(salt: Any) -> str:
    """A salt as it appears in an opening: 16 bytes of base64url."""
    try:
        ok = isinstance(salt, str) and len(b64url_decode(salt)) == SALT_BYTES
    except CerkitError:
        ok = False
    if not ok:
        raise InvalidRecordError("a salt is 16 bytes of base64url", Reason.SALT_MISMATCH)
    return str(salt)


def _malformed(message: str) -> InvalidRecordError:
    return InvalidRecordError(message, Reason.DISCLOSURE_MALFORMED)
