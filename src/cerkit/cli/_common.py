"""What every verb shares: exit codes, error rendering, input expansion, progress."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final, TypeVar

from cerkit.errors import (
    CerkitError,
    InvalidRecordError,
    NothingToCompare,
    OperationalError,
    UsageError,
)

EXIT_OK: Final[int] = 0
EXIT_FAILED: Final[int] = 1
EXIT_USAGE: Final[int] = 2
EXIT_OPERATIONAL: Final[int] = 3
#: A drift gate had nothing to compare (``NOTHING_TO_COMPARE``, docs/drift.md §6): distinct
#: from 0, so a CI job pointed at the wrong store or an empty golden folder does not pass.
EXIT_NOTHING_TO_COMPARE: Final[int] = 4

T = TypeVar("T")


#: What ``--store`` takes, the same in every verb.
STORE_HELP: Final[str] = (
    "store path or URL (sqlite:///PATH, postgresql://...; default: $CERKIT_STORE or .cerkit/)"
)


def add_store_option(parser: argparse.ArgumentParser, purpose: str | None = None) -> None:
    """Add ``--store URL`` (read as :func:`cerkit.ledger.store_url` does), ``purpose``
    saying what the verb keeps or reads there."""
    text = f"{purpose}; {STORE_HELP}" if purpose else STORE_HELP
    parser.add_argument("--store", metavar="URL", help=text)


def existing_store(spec: str | None) -> str | None:
    """``spec`` for a verb that only reads: refused when it names a SQLite file that does
    not exist, so that reading never creates ``.cerkit/`` (or any file).

    Raises:
        OperationalError: no store there yet.
    """
    import os

    from cerkit.ledger.factory import is_postgres, store_url

    url = store_url(spec)
    if not is_postgres(url) and not os.path.exists(url):
        raise OperationalError(f"no record store at {url} (nothing recorded here yet?)")
    return spec


def error(message: str) -> None:
    """One line on stderr, prefixed with the program name.

    The message may quote hostile text (an argument that was not UTF-8, a lone surrogate):
    what the terminal cannot take is written as backslash escapes, never an exception.
    """
    line = f"cerkit: {message}\n"
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    sys.stderr.write(line.encode(encoding, "backslashreplace").decode(encoding, "replace"))


def os_error(exc: OSError) -> OperationalError:
    """Ours, for a file that could not be read or written: ``IO_ERROR: PATH: why``."""
    where = f"{exc.filename}: " if exc.filename is not None else ""
    return OperationalError(f"{where}{exc.strerror or exc}")


def exit_code_for(exc: CerkitError) -> int:
    if isinstance(exc, UsageError):
        return EXIT_USAGE
    if isinstance(exc, InvalidRecordError):
        return EXIT_FAILED
    if isinstance(exc, NothingToCompare):
        return EXIT_NOTHING_TO_COMPARE
    return EXIT_OPERATIONAL


def guarded(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a verb, turning our errors into one line and a documented exit code.

    Anything else is a bug: it still gets one line (with the exception type) and exit 3,
    never a traceback, unless ``CERKIT_DEBUG`` is set.
    """
    import os

    try:
        code = run(args)
        sys.stdout.flush()  # a full disk or closed pipe is reported here, not at exit
        return code
    except CerkitError as exc:
        error(str(exc))
        return exit_code_for(exc)
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except OSError as exc:  # a path that is a directory, a full disk, permissions
        _silence_stdout()
        error(str(os_error(exc)))
        return EXIT_OPERATIONAL
    except RecursionError:
        error("INPUT_TOO_DEEP: value nests too deeply")
        return EXIT_FAILED
    except MemoryError:
        error("INPUT_TOO_LARGE: out of memory")
        return EXIT_OPERATIONAL
    except Exception as exc:
        if os.environ.get("CERKIT_DEBUG"):
            raise
        error(f"internal error ({type(exc).__name__}): {exc}; set CERKIT_DEBUG=1 for details")
        return EXIT_OPERATIONAL


def _silence_stdout() -> None:
    """Drop what stdout still buffers: it cannot be written, and the interpreter would
    otherwise fail again on it at exit."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # stdout is not a real file (tests)
        pass


def progress(items: Iterable[T], *, total: int | None, desc: str) -> Iterator[T]:
    """Wrap ``items`` in a progress bar on stderr when stderr is a terminal and the batch
    is long enough to be worth one."""
    if not sys.stderr.isatty() or (total is not None and total < 50):
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, total=total, desc=desc, unit="rec", file=sys.stderr, leave=False)


def write_json_line(value: Any) -> None:
    """One JSON value and a newline on stdout, as UTF-8 (RFC 8259 §8.1) whatever the locale:
    under ``LC_ALL=C`` a text stream would be ASCII and fail on the first non-ASCII value."""
    from cerkit.jsonio import dumps

    text = dumps(value) + "\n"
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:
        sys.stdout.write(text)
        return
    sys.stdout.flush()
    buffer.write(text.encode("utf-8", "surrogateescape"))
    buffer.flush()


__all__ = [
    "EXIT_FAILED",
    "EXIT_NOTHING_TO_COMPARE",
    "EXIT_OK",
    "EXIT_OPERATIONAL",
    "EXIT_USAGE",
    "OperationalError",
    "error",
    "guarded",
    "os_error",
    "progress",
    "write_json_line",
]
