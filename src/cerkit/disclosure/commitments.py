"""Salted commitments to the disclosable fields of a record (docs/spec.md §6.3).

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
import operator
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from typing import Any, Final, NamedTuple

from cerkit.bundle import certificate_payload, profile_for
from cerkit.canonical import CanonicalFragment, Profile, canonicalize
from cerkit.digest import PREFIX, HexDigest, sha256_hex
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
#: What :func:`_all_digests` reads: the two digests of an entry, their one length, the
#: characters a digest may hold after its prefix, and what of the prefix is not one of them.
_PAIR = operator.itemgetter("commitment", "saltTag")
_DICT: Final[frozenset[type]] = frozenset((dict,))
_DIGEST_LENGTHS: Final[frozenset[int]] = frozenset((len(PREFIX) + 64,))
_HEX_DIGITS: Final[bytes] = b"0123456789abcdef"
_PREFIX_REST: Final[bytes] = PREFIX.encode("ascii").translate(None, _HEX_DIGITS)
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_TOKEN = re.compile(r'\.([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]')


@functools.lru_cache(maxsize=4096)
def _step_text(key: str) -> str:
    """The text one object key adds to a path: ``.key``, or ``["odd key"]`` quoted."""
    return "." + key if _IDENT.match(key) else "[" + json.dumps(key, ensure_ascii=True) + "]"


def path_of(locator: Locator) -> str:
    """``("input", "messages", 0)`` -> ``snapshot.input.messages[0]``; odd keys are quoted."""
    return "snapshot" + "".join(
        f"[{step}]" if isinstance(step, int) else _step_text(step) for step in locator
    )


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


def leaf_locators(snapshot: Mapping[str, Any], fields: tuple[str, ...]) -> dict[str, Locator]:
    """``{path: locator}`` of every leaf of ``fields`` present in ``snapshot``, in order.

    Paths are built from one prefix per field and key rather than step by step: every
    seal, redaction and verification of a disclosable record lists them.

    Raises:
        InvalidRecordError: more than :data:`MAX_LEAVES` leaves.
    """
    found: dict[str, Locator] = {}
    for name in fields:
        if name not in snapshot:
            continue
        value, top = snapshot[name], "snapshot" + _step_text(name)
        if isinstance(value, dict) and value and MARKER not in value:
            for key, item in value.items():
                _add_leaves(found, top + _step_text(key), (name, key), item)
        else:
            _add_leaves(found, top, (name,), value)
        if len(found) > MAX_LEAVES:
            raise _malformed(f"more than {MAX_LEAVES} disclosable leaves")
    return found


def _add_leaves(found: dict[str, Locator], path: str, locator: Locator, value: Any) -> None:
    """One leaf per element of a non-empty array (a chat's messages), else one leaf."""
    if isinstance(value, list) and value:
        if len(value) > MAX_LEAVES:
            raise _malformed(f"more than {MAX_LEAVES} disclosable leaves")
        for index in range(len(value)):
            found[f"{path}[{index}]"] = (*locator, index)
    else:
        found[path] = locator


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
    for path, locator in leaf_locators(snapshot, fields).items():
        salt = new_salt(token)
        value = get_at(snapshot, locator)
        commitments[path] = {
            "commitment": commit(salt, path, value, profile),
            "saltTag": salt_tag(salt, path, profile),
        }
        salts[path] = salt
    return {"scheme": SCHEME, "fields": list(fields), "commitments": commitments}, salts


class Block(NamedTuple):
    """A snapshot's ``disclosure`` field, checked by :func:`read_block`. (A named tuple
    rather than a frozen dataclass: every redaction and verification builds one, and a
    frozen dataclass takes several times longer to build.)"""

    #: The snapshot fields it covers.
    fields: tuple[str, ...]
    #: ``{path: {"commitment", "saltTag"}}``, one per leaf.
    commitments: Mapping[str, Any]
    #: ``{path: locator}``: where each leaf is in the snapshot (the same paths, in order).
    locators: Mapping[str, Locator]
    #: The field itself, as the record holds it (what the commitments digest covers).
    raw: Mapping[str, Any]


def read_block(snapshot: Mapping[str, Any]) -> Block:
    """The snapshot's disclosure field, checked for shape.

    Raises:
        InvalidRecordError: ``DISCLOSURE_MALFORMED``.
    """
    block = snapshot.get(FIELD)
    if not isinstance(block, dict) or block.get("scheme") != SCHEME:
        raise _malformed(f"snapshot.{FIELD} is not a {SCHEME} block")
    fields, commitments = block.get("fields"), block.get("commitments")
    if not isinstance(fields, list) or not all(
        type(f) is str and f in _FIELDS_ALLOWED for f in fields
    ):
        raise _malformed(
            "disclosure.fields must name prompt, input, output, parameters, effectiveParameters"
        )
    if not isinstance(commitments, dict) or len(commitments) > MAX_LEAVES:
        raise _malformed(f"disclosure.commitments must be an object of at most {MAX_LEAVES} paths")
    locators = leaf_locators(snapshot, tuple(fields))
    # the leaves (paths this module writes) must be exactly the committed paths
    if locators.keys() != commitments.keys():
        raise _malformed("the commitments do not name exactly the record's disclosable leaves")
    if not _all_digests(commitments):
        for path, entry in commitments.items():
            if not _all_digests({path: entry}):
                raise _malformed(f"commitment of {path} must carry two sha256 digests")
    return Block(tuple(fields), commitments, locators, block)


def _all_digests(commitments: Mapping[str, Any]) -> bool:
    """Every entry is an object whose ``commitment`` and ``saltTag`` are ``sha256:<hex>``.

    Decided over all the n digests joined, in a few C calls (a pattern match steps through
    its character class one character at a time): each digest is a string of 71 characters
    whose first is ``s``; the joined text holds the prefix n times; and deleting the lowercase
    hex digits from its ASCII bytes leaves ``sh:`` n times. Then each digest holds exactly
    one ``s``, ``h`` and ``:`` (n blocks, each starting at one of the n ``s``), so a prefix
    can only start at a digest's first character, and n of them put one at each."""
    entries = commitments.values()
    if not set(map(type, entries)) <= _DICT:
        return False
    try:
        digests = list(chain.from_iterable(map(_PAIR, entries)))
        joined = "".join(digests)
        ascii_bytes = joined.encode("ascii")
    except (KeyError, TypeError, UnicodeEncodeError):  # a digest missing, not a str, not ASCII
        return False
    count = len(digests)
    return (
        set(map(len, digests)) <= _DIGEST_LENGTHS
        and joined[:: len(PREFIX) + 64] == "s" * count
        and joined.count(PREFIX) == count
        and ascii_bytes.translate(None, _HEX_DIGITS) == _PREFIX_REST * count
    )


def replaced_all(root: Mapping[str, Any], values: Iterable[tuple[Locator, Any]]) -> dict[str, Any]:
    """A copy of ``root`` with each ``(locator, value)`` put in place: only the containers on
    the way are copied, each once (shallow), so the rest of a large record is shared."""
    out = dict(root)
    copies: dict[Locator, Any] = {(): out}
    for locator, value in values:
        at = locator[:-1]
        parent = copies.get(at)
        if parent is None:  # siblings (a chat's messages, an object's keys) find it copied
            parent = _copied(copies, at)
        parent[locator[-1]] = value
    return out


def _copied(copies: dict[Locator, Any], at: Locator) -> Any:
    """The copy of the container at ``at``, made (with its ancestors) on first use."""
    parent = copies.get(at[:-1])
    if parent is None:
        parent = _copied(copies, at[:-1])
    original = parent[at[-1]]
    node = list(original) if isinstance(original, list) else dict(original)
    parent[at[-1]] = copies[at] = node
    return node


def view_digests(
    bundle: Mapping[str, Any], block: Block | None = None
) -> tuple[HexDigest, HexDigest]:
    """``(commitments digest, root)``: the two digests a binding signs (module docstring).

    ``block`` is what :func:`read_block` returned for this snapshot, when the caller has it.
    The block is serialized once: its canonical bytes make the commitments digest and are
    spliced into the root's payload (canonical JSON is compositional).

    Raises:
        InvalidRecordError: ``DISCLOSURE_MALFORMED``; CanonicalizationError.
    """
    snapshot = bundle["snapshot"]
    block = block if block is not None else read_block(snapshot)
    profile = profile_for(snapshot)
    commitments = block.commitments
    view = replaced_all(
        snapshot, ((loc, commitments[path]["commitment"]) for path, loc in block.locators.items())
    )
    for name in block.fields:
        digest_field = UNSALTED_DIGESTS.get(name)
        if digest_field:
            view.pop(digest_field, None)
    block_bytes = canonicalize(block.raw, profile)
    view[FIELD] = CanonicalFragment(block_bytes)
    payload = {**certificate_payload(bundle), "snapshot": view}
    return (
        _domain_digest(COMMITMENTS_DOMAIN, block_bytes),
        _domain_digest(ROOT_DOMAIN, canonicalize(payload, profile)),
    )


def _domain_digest(domain: str, member: bytes) -> HexDigest:
    """``sha256(canonical([domain, value]))`` from the canonical bytes of ``value``: the
    array's canonical form is its members' forms joined by a comma, and a domain needs no
    escaping (RFC 8785 §3.2)."""
    return sha256_hex(b'["' + domain.encode("ascii") + b'",' + member + b"]")


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
