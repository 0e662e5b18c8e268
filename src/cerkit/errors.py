"""The one exception tree of cerkit, and the reason codes every error and report uses.

Two branches matter to callers: :class:`InvalidRecordError` ("the record is wrong": the
verdict is FAIL) and :class:`OperationalError` ("the check could not run": the verdict is
unknown). Foreign exceptions are caught at the boundary and re-raised as one of ours with a
short, specific message and a reason code. The base :class:`CerkitError` is never raised
itself: every raise names a branch.

::

    CerkitError
    ├── InvalidRecordError          the input is wrong (exit 1, HTTP 422)
    │   ├── CanonicalizationError, MalformedJSONError, SchemaError
    │   ├── UnsupportedProtocolError
    │   └── VerificationError       Report.raise_for_failure()
    ├── OperationalError            the check could not run (exit 3, HTTP 503)
    │   ├── NotDecodable            a recorded value kept only its digest
    │   └── NothingToCompare        a drift gate found nothing to compare (exit 4)
    ├── RequestError                the node refuses a request (HTTP 4xx)
    └── UsageError                  the caller asked for nonsense (exit 2)
        └── TreeRangeError          a size, leaf or proof outside a Merkle tree
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Machine-readable reason codes. Stable: documented in docs/spec.md and the README."""

    # Input and format
    MALFORMED_JSON = "MALFORMED_JSON"
    SCHEMA_ERROR = "SCHEMA_ERROR"
    CANONICALIZATION_ERROR = "CANONICALIZATION_ERROR"
    UNSUPPORTED_PROTOCOL_VERSION = "UNSUPPORTED_PROTOCOL_VERSION"
    INPUT_TOO_LARGE = "INPUT_TOO_LARGE"
    INPUT_TOO_DEEP = "INPUT_TOO_DEEP"
    # Integrity (layer 1)
    CERTIFICATE_HASH_MISMATCH = "CERTIFICATE_HASH_MISMATCH"
    INPUT_HASH_MISMATCH = "INPUT_HASH_MISMATCH"
    OUTPUT_HASH_MISMATCH = "OUTPUT_HASH_MISMATCH"
    REDACTED = "REDACTED"
    # Project bundles (cer.project.bundle.v1)
    PROJECT_HASH_MISMATCH = "PROJECT_HASH_MISMATCH"
    STEP_CHAIN_BROKEN = "STEP_CHAIN_BROKEN"
    STEP_REMOVED = "STEP_REMOVED"
    STEP_ADDED = "STEP_ADDED"
    STEP_REORDERED = "STEP_REORDERED"
    # Producer signature (layer 2), node receipt (layer 3), transparency log (layer 4)
    PRODUCER_SIGNATURE_INVALID = "PRODUCER_SIGNATURE_INVALID"
    PRODUCER_KEY_UNTRUSTED = "PRODUCER_KEY_UNTRUSTED"
    RECEIPT_MALFORMED = "RECEIPT_MALFORMED"
    RECEIPT_MISMATCH = "RECEIPT_MISMATCH"
    RECEIPT_SIGNATURE_INVALID = "RECEIPT_SIGNATURE_INVALID"
    RECEIPT_KEY_UNKNOWN = "RECEIPT_KEY_UNKNOWN"
    RECEIPT_KEY_REVOKED = "RECEIPT_KEY_REVOKED"
    RECEIPT_KEY_RETIRED = "RECEIPT_KEY_RETIRED"
    KEY_DOCUMENT_INVALID = "KEY_DOCUMENT_INVALID"
    INCLUSION_PROOF_INVALID = "INCLUSION_PROOF_INVALID"
    CONSISTENCY_PROOF_INVALID = "CONSISTENCY_PROOF_INVALID"
    CHECKPOINT_MALFORMED = "CHECKPOINT_MALFORMED"
    CHECKPOINT_SIGNATURE_INVALID = "CHECKPOINT_SIGNATURE_INVALID"
    LOG_ENTRY_MISSING = "LOG_ENTRY_MISSING"
    LOG_ENTRY_MISMATCH = "LOG_ENTRY_MISMATCH"
    STORED_BUNDLE_MISMATCH = "STORED_BUNDLE_MISMATCH"
    # Disclosure (layer 5) and privacy modes
    WITHHELD = "WITHHELD"
    DISCLOSURE_MALFORMED = "DISCLOSURE_MALFORMED"
    DISCLOSED_VALUE_MISMATCH = "DISCLOSED_VALUE_MISMATCH"
    SALT_MISMATCH = "SALT_MISMATCH"
    VALUE_MOVED = "VALUE_MOVED"
    COMMITMENT_SWAPPED = "COMMITMENT_SWAPPED"
    DISCLOSURE_ROOT_MISMATCH = "DISCLOSURE_ROOT_MISMATCH"
    DISCLOSURE_UNBOUND = "DISCLOSURE_UNBOUND"
    OPENING_MISSING = "OPENING_MISSING"
    CONTENT_MISMATCH = "CONTENT_MISMATCH"
    # Generic outcomes
    OK = "OK"
    NOT_PRESENT = "NOT_PRESENT"
    NO_TRUSTED_KEYS = "NO_TRUSTED_KEYS"
    # Attestation node requests
    UNAUTHORIZED = "UNAUTHORIZED"
    NOT_FOUND = "NOT_FOUND"
    BAD_REQUEST = "BAD_REQUEST"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    REQUEST_TIMEOUT = "REQUEST_TIMEOUT"
    OVERLOADED = "OVERLOADED"
    BATCH_REJECTED = "BATCH_REJECTED"  # an atomic batch with a failing record: none logged
    # The node's own state: it refuses to sign rather than sign something wrong
    LOG_INCONSISTENT = "LOG_INCONSISTENT"
    NO_SIGNING_KEY = "NO_SIGNING_KEY"
    KEY_NAME_INVALID = "KEY_NAME_INVALID"
    # Operational
    IO_ERROR = "IO_ERROR"
    STORE_ERROR = "STORE_ERROR"
    NETWORK_ERROR = "NETWORK_ERROR"
    USAGE_ERROR = "USAGE_ERROR"
    NOT_REPLAYABLE = "NOT_REPLAYABLE"
    MISSING_EXTRA = "MISSING_EXTRA"
    # The drift gate (docs/drift.md §6): it fails closed rather than pass on nothing
    NOTHING_TO_COMPARE = "NOTHING_TO_COMPARE"


class CerkitError(Exception):
    """Base of every error cerkit raises on purpose."""

    reason: Reason = Reason.SCHEMA_ERROR

    def __init__(self, message: str, reason: Reason | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


class InvalidRecordError(CerkitError):
    """The input is not a valid record, document or value: the answer is "no"."""


class CanonicalizationError(InvalidRecordError):
    """A value has no canonical form under the requested profile (NaN, unsupported type...)."""

    reason = Reason.CANONICALIZATION_ERROR


class MalformedJSONError(InvalidRecordError):
    """The bytes are not a JSON document we accept."""

    reason = Reason.MALFORMED_JSON


class SchemaError(InvalidRecordError):
    """The JSON is well formed but is not the shape the format requires."""

    reason = Reason.SCHEMA_ERROR


class UnsupportedProtocolError(InvalidRecordError):
    """The record names a protocol version this cerkit does not implement (fails closed)."""

    reason = Reason.UNSUPPORTED_PROTOCOL_VERSION


class VerificationError(InvalidRecordError):
    """Raised by ``Report.raise_for_failure()`` when a record does not verify."""


class OperationalError(CerkitError):
    """A check or operation could not run (I/O, store, network): the answer is "unknown"."""

    reason = Reason.IO_ERROR


class NotDecodable(OperationalError):
    """An encoding that cannot be turned back into a value (only digests were recorded)."""

    reason = Reason.SCHEMA_ERROR


class NothingToCompare(OperationalError):
    """A drift gate (``cerkit drift --fail-on``) had nothing to compare: an empty store, an
    empty or unreadable baseline, or no execution key in common. A gate that compared
    nothing has not passed, so it fails closed (exit 4) unless told ``--allow-empty``."""

    reason = Reason.NOTHING_TO_COMPARE


class RequestError(CerkitError):
    """The attestation node refuses a request: the reason picks the 4xx status
    (``UNAUTHORIZED`` 401, ``NOT_FOUND`` 404, ``REQUEST_TIMEOUT`` 408, ``INPUT_TOO_LARGE``
    413, ``UNSUPPORTED_MEDIA_TYPE`` 415, otherwise 400; see ``node/app.py``)."""

    reason = Reason.BAD_REQUEST


class UsageError(CerkitError):
    """The caller asked for something that makes no sense (bad flag combination, bad option)."""

    reason = Reason.USAGE_ERROR


class TreeRangeError(UsageError, ValueError):
    """A Merkle tree was asked for a size, leaf or proof it does not hold, or given a leaf
    hash that is not 32 bytes. Also a ``ValueError``, the builtin meaning of the mistake."""
