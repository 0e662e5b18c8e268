"""Verification reports: one entry per trust layer, an overall verdict, an assurance level.

A report is a value; the CLI, the node and the web page render it, and
:meth:`Report.raise_for_failure` turns it into an exception for callers who prefer one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from typing import Any, NamedTuple

from cerkit._text import counted
from cerkit.errors import OperationalError, Reason, VerificationError


class Status(StrEnum):
    PASS = "PASS"
    FAIL = "FAIL"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"  # the check could not run (operational, not a verdict on the record)


class Layer(StrEnum):
    """The trust layers of docs/spec.md §6, in the order they are checked."""

    INTEGRITY = "integrity"
    PRODUCER_SIGNATURE = "producer_signature"
    NODE_RECEIPT = "node_receipt"
    TRANSPARENCY_LOG = "transparency_log"
    DISCLOSURE = "disclosure"


class Assurance(IntEnum):
    """How much a passing record proves: the strongest trust layer that passed.

    Ordered sealed < signed < attested < logged. A level names the highest layer reached,
    not a chain: a record attested by a node but never signed by its producer is
    ``ATTESTED``; the report's per-layer statuses say which layers ran.
    """

    NONE = 0
    SEALED = 1
    SIGNED = 2
    ATTESTED = 3
    LOGGED = 4

    @property
    def label(self) -> str:
        return self.name.lower()


class Check(NamedTuple):
    """The outcome of one check within a layer (immutable).

    A named tuple rather than a frozen dataclass: every verified record builds several, and
    a frozen dataclass's ``__init__`` costs about twice as much (see bench/seal_verify.py).
    """

    layer: Layer
    name: str
    status: Status
    reason: Reason | str
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "layer": str(self.layer),
            "check": self.name,
            "status": str(self.status),
            "reason": str(self.reason),
            "message": self.message,
        }


_new_tuple = tuple.__new__
_PASS, _OK = Status.PASS, Reason.OK  # enum attribute access is slow


def passed(layer: Layer, name: str, message: str) -> Check:
    """``Check(layer, name, Status.PASS, Reason.OK, message)``, built without the named
    tuple's Python-level constructor: a verified record adds several (bench/seal_verify.py)."""
    return _new_tuple(Check, (layer, name, _PASS, _OK, message))


@dataclass(slots=True)
class Report:
    """Everything a verification found about one record."""

    certificate_hash: str
    source: str = ""
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: The leaf paths a redacted copy withholds (layer 5): shown as withheld, never as empty.
    #: (An immutable default: most reports have none, and a list per report costs time.)
    withheld: Sequence[str] = ()

    def add(
        self, layer: Layer, name: str, status: Status, reason: Reason | str, message: str = ""
    ) -> Check:
        check: Check = _new_tuple(Check, (layer, name, status, reason, message))  # as passed()
        self.checks.append(check)
        return check

    def layer_status(self, layer: Layer) -> Status:
        """PASS only when the layer ran and every check in it passed."""
        statuses = [c.status for c in self.checks if c.layer == layer]
        if not statuses:
            return Status.SKIPPED
        for worst in (Status.ERROR, Status.FAIL):
            if worst in statuses:
                return worst
        return Status.PASS if Status.PASS in statuses else Status.SKIPPED

    @property
    def errored(self) -> bool:
        return any(c.status is Status.ERROR for c in self.checks)

    @property
    def ok(self) -> bool:
        """True when nothing failed or errored and the integrity layer passed (fails closed)."""
        if self.errored or any(c.status is Status.FAIL for c in self.checks):
            return False
        return self.layer_status(Layer.INTEGRITY) is Status.PASS

    @property
    def assurance(self) -> Assurance:
        if not self.ok:
            return Assurance.NONE
        level = Assurance.SEALED
        for layer, reached in (
            (Layer.PRODUCER_SIGNATURE, Assurance.SIGNED),
            (Layer.NODE_RECEIPT, Assurance.ATTESTED),
            (Layer.TRANSPARENCY_LOG, Assurance.LOGGED),
        ):
            if self.layer_status(layer) is Status.PASS:
                level = reached
        return level

    @property
    def verdict(self) -> str:
        if self.errored:
            return "ERROR"
        return "VERIFIED" if self.ok else "FAILED"

    @property
    def summary(self) -> str:
        """The verdict as a reader should see it: ``VERIFIED (partial disclosure: N fields
        withheld)`` for a verified redacted copy."""
        if self.withheld and self.ok:
            return f"VERIFIED (partial disclosure: {counted(len(self.withheld), 'field')} withheld)"
        return self.verdict

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.status in (Status.FAIL, Status.ERROR)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "certificateHash": self.certificate_hash,
            "verdict": self.verdict,
            "assurance": self.assurance.label,
            "layers": {str(layer): str(self.layer_status(layer)) for layer in Layer},
            "checks": [c.to_dict() for c in self.checks],
            "notes": list(self.notes),
            "withheld": list(self.withheld),
        }

    def _repr_html_(self) -> str:
        """How a notebook shows it (:mod:`cerkit.verify.html`, the drift report's pieces)."""
        from cerkit.verify.html import report_html

        return report_html(self)

    def raise_for_failure(self) -> None:
        """Raise when the record did not verify: :class:`VerificationError` for a failed
        check, :class:`OperationalError` for a check that could not run."""
        failures = self.failures
        if not failures:
            if not self.ok:
                raise VerificationError("integrity was not checked", Reason.SCHEMA_ERROR)
            return
        first = failures[0]
        reason = Reason(first.reason) if first.reason in Reason.__members__ else None
        if first.status is Status.ERROR:
            raise OperationalError(first.message, reason)
        raise VerificationError(first.message, reason)
