"""Reading untrusted JSON: size and depth limits, duplicate keys, non-finite numbers.

Every document cerkit reads from a file, a pipe or the network passes through
:func:`loads`, so every bad input gets the same clear error and reason code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

from cerkit.errors import InvalidRecordError, MalformedJSONError, OperationalError, Reason

#: Largest JSON document (one record, one request body) read, in bytes. A CER holds one
#: execution's inputs and outputs; 8 MiB is far above any real record we have seen and
#: keeps a hostile document from pinning memory and CPU.
MAX_DOCUMENT_BYTES: Final[int] = 8 * 1024 * 1024

#: Deepest nesting of arrays and objects accepted. Real records nest a dozen levels; the
#: limit keeps parsing and canonicalization far from Python's recursion limit.
MAX_DEPTH: Final[int] = 512

_INF: Final[float] = float("inf")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _reject_constant(name: str) -> Any:
    raise MalformedJSONError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (_INF, -_INF):
        raise MalformedJSONError(f"number {text[:40]} is outside the range of a double")
    return value


def _finite_int(text: str) -> int:
    # JavaScript reads an integer literal as a double: one beyond the range of a double
    # means Infinity there. Refused like 1e400, before Python's own 4300-digit limit.
    if len(text) > 310:
        raise MalformedJSONError(f"number {text[:40]}... is outside the range of a double")
    value = int(text)
    try:
        float(value)
    except OverflowError:
        raise MalformedJSONError(
            f"number {text[:40]}... is outside the range of a double"
        ) from None
    return value


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise MalformedJSONError(f"duplicate object key {key[:60]!r}")
            seen.add(key)
    return obj


def _depth_exceeds(text: str, limit: int) -> bool:
    """Cheap bracket count that ignores brackets inside strings."""
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def loads(data: bytes | str, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> Any:
    """Parse one JSON document from untrusted bytes.

    Raises:
        InvalidRecordError: with reason ``MALFORMED_JSON`` (not UTF-8, not JSON, empty,
            a byte order mark, duplicate keys, NaN, infinities, a number beyond the range
            of a double), ``INPUT_TOO_LARGE`` or ``INPUT_TOO_DEEP``.
    """
    if len(data) > max_bytes:
        raise InvalidRecordError(
            f"document is {len(data)} bytes; the limit is {max_bytes}", Reason.INPUT_TOO_LARGE
        )
    if isinstance(data, bytes):
        if data.startswith(b"\xef\xbb\xbf"):
            raise MalformedJSONError("document starts with a byte order mark")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedJSONError(f"not UTF-8 text (byte {exc.start})") from None
    else:
        text = data
    if not text.strip():
        raise MalformedJSONError("empty document")
    # Parse first and measure the depth of the value (for valid JSON the same as the text's
    # bracket nesting): a Python scan of every character cost more than the parse itself
    # for large documents. The parser's recursion stays bounded by the interpreter's
    # recursion limit (RecursionError below). A document that fails to parse is scanned,
    # so that a deep one is reported INPUT_TOO_DEEP first, as the limit promises.
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    try:
        value = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            parse_int=_finite_int,
            object_pairs_hook=_unique_object,
        )
    except (json.JSONDecodeError, MalformedJSONError) as exc:
        if deep and _depth_exceeds(text, MAX_DEPTH):
            raise _too_deep() from None
        if isinstance(exc, MalformedJSONError):
            raise
        raise MalformedJSONError(f"{exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise InvalidRecordError("document nests too deeply", Reason.INPUT_TOO_DEEP) from None
    if deep and _nests_deeper(value, MAX_DEPTH):
        raise _too_deep()
    return value


def _too_deep() -> InvalidRecordError:
    return InvalidRecordError(
        f"document nests deeper than {MAX_DEPTH} levels", Reason.INPUT_TOO_DEEP
    )


def _nests_deeper(value: Any, limit: int) -> bool:
    """Whether a parsed value nests arrays and objects deeper than ``limit`` levels."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 0
    while level:
        depth += 1
        if depth > limit:
            return True
        below: list[Any] = []
        for container in level:
            items = container.values() if isinstance(container, dict) else container
            below.extend([item for item in items if isinstance(item, dict | list)])
        level = below
    return False


def read_bytes(path: str | Path, *, max_bytes: int = MAX_DOCUMENT_BYTES) -> bytes:
    """Read a file (``-`` is standard input), refusing files above ``max_bytes``."""
    import sys

    try:
        if str(path) == "-":
            data = sys.stdin.buffer.read(max_bytes + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise OperationalError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InvalidRecordError(
            f"{path} is larger than the {max_bytes}-byte limit", Reason.INPUT_TOO_LARGE
        )
    return data


def load_file(path: str | Path) -> Any:
    """Parse the JSON document in ``path`` (``-`` is standard input)."""
    return loads(read_bytes(path))


def iter_jsonl(
    path: str | Path, *, max_line_bytes: int = MAX_DOCUMENT_BYTES
) -> Iterator[tuple[int, Any | InvalidRecordError]]:
    """Yield ``(line_number, document_or_error)`` for each non-blank line of a JSON Lines file.

    A bad line yields its error instead of stopping the file, so one broken record does not
    hide the others. Lines are read with a bounded ``readline``: a line over
    ``max_line_bytes`` is refused (``INPUT_TOO_LARGE``) and skipped in chunks, so memory
    stays near the limit whatever the file holds (a 500 MB line is never held whole).

    Raises:
        OperationalError: the file cannot be opened or read.
    """
    import sys

    try:
        handle = sys.stdin.buffer if str(path) == "-" else open(path, "rb")  # noqa: SIM115
    except OSError as exc:
        raise OperationalError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        for number, line in enumerate(_lines(handle, path, max_line_bytes), start=1):
            if line is None:
                message = f"line is longer than the {max_line_bytes}-byte limit"
                yield number, InvalidRecordError(message, Reason.INPUT_TOO_LARGE)
            elif line.strip():
                try:
                    yield number, loads(line, max_bytes=max_line_bytes)
                except InvalidRecordError as exc:
                    yield number, exc
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


#: How much is read at a time. ``readline(n)`` scans a long line in small buffered steps
#: (seconds for a 500 MB line); scanning 1 MiB chunks for the newline takes milliseconds.
_READ_CHUNK: Final[int] = 1 << 20


def _lines(handle: IO[bytes], path: str | Path, limit: int) -> Iterator[bytes | None]:
    """Every line of ``handle`` (newline included); None for a line over ``limit`` bytes,
    which is dropped as it is read, so at most ``limit`` plus one chunk is ever held."""
    read = getattr(handle, "read1", handle.read)  # what a pipe has now, not a full chunk
    pending, skipping = b"", False
    while True:
        try:
            chunk = read(_READ_CHUNK)
        except OSError as exc:
            raise OperationalError(f"cannot read {path}: {exc.strerror or exc}") from None
        if not chunk:
            break
        pending += chunk
        start = 0
        while (end := pending.find(b"\n", start)) != -1:
            if not skipping:
                yield pending[start : end + 1] if end + 1 - start <= limit else None
            skipping, start = False, end + 1
        pending = pending[start:]
        if not skipping and len(pending) > limit:
            yield None
            skipping = True
        if skipping:
            pending = b""
    if pending and not skipping:
        yield pending if len(pending) <= limit else None


def dumps(value: Any, *, pretty: bool = False) -> str:
    """Serialize for output (not canonical: for people and pipes).

    Non-ASCII text is written as is, except in a document holding a lone surrogate, which
    UTF-8 cannot carry: that document is written with ``\\uXXXX`` escapes throughout.
    """
    indent = 2 if pretty else None
    text = json.dumps(value, ensure_ascii=False, indent=indent)
    if _SURROGATE.search(text) is not None:
        text = json.dumps(value, ensure_ascii=True, indent=indent)
    return text
