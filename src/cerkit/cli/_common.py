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
    Reason,
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
    "store path or URL (sqlite:///PATH, postgresql://...; default: $CERKIT_STORE, the "
    "project config's store.url, or .cerkit/)"
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


def saved_checkpoint(path: str) -> str:
    """The text of a saved checkpoint; a file that is not UTF-8 text is not a signed note."""
    from cerkit.jsonio import read_bytes

    try:
        return read_bytes(path).decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"{path} is not a signed note (not UTF-8 text at byte {exc.start})"
        raise InvalidRecordError(message, Reason.CHECKPOINT_MALFORMED) from None


#: The project settings every verb takes from the configuration file, and the variable that
#: carries each one to the library and to the processes a verb starts (replay, confirm).
PROJECT_SETTINGS: Final[dict[str, str]] = {
    "url": "CERKIT_STORE",
    "key_dir": "CERKIT_KEY_DIR",
    "node_url": "CERKIT_NODE_URL",
}


def apply_project_config() -> None:
    """Make the project configuration file (:mod:`cerkit.config`) the defaults of this command.

    Precedence is flags > ``CERKIT_*`` variables > the file > built-in defaults. Every verb
    reads a flag first and the variable when no flag was given, so the file's ``[store]``
    values become the variables that are not set: a flag or a variable still wins, and a
    child process a verb starts sees the same settings. Paths are relative to the file's
    folder (:func:`cerkit.config.project_store`). Runs before every verb (:func:`guarded`),
    so a bad file is reported once, whatever the verb.

    Raises:
        ConfigError: the file is invalid (exit 2, naming the file and the key).
    """
    import os

    from cerkit.config import project_store

    settings = project_store()
    for key, variable in PROJECT_SETTINGS.items():
        value = getattr(settings, key)
        if value and not os.environ.get(variable):
            os.environ[variable] = value


def node_url(flag: str | None) -> str:
    """The node a verb talks to: ``--node``, else ``$CERKIT_NODE_URL``, else the file's
    ``store.node_url`` (see :func:`apply_project_config`).

    Raises:
        UsageError: none of them names a node.
    """
    import os

    url = flag or os.environ.get("CERKIT_NODE_URL")
    if not url:
        raise UsageError(
            "no attestation node: give --node URL, set $CERKIT_NODE_URL, or set node_url "
            "in [tool.cerkit.store] (docs/config.md)"
        )
    return url


#: The extra (``pyproject.toml`` optional dependencies) that brings each optional module, by
#: its top-level name: a verb that meets one missing says ``pip install 'cerkit[EXTRA]'``.
_NODE_MODULES: Final[tuple[str, ...]] = (
    "starlette", "uvicorn", "httpx", "prometheus_client", "uvloop", "httptools", "jinja2",
    "multipart", "python_multipart",
)  # fmt: skip
EXTRA_OF_MODULE: Final[dict[str, str]] = {
    **dict.fromkeys(_NODE_MODULES, "node"),
    **dict.fromkeys(("numpy", "sklearn", "pandas", "pydantic", "scipy"), "ml"),
    "threadpoolctl": "capture",
    "psycopg": "postgres",
    "torch": "torch",
    "openai": "openai",
    "anthropic": "anthropic",
    "langchain_core": "langchain",
    "langgraph": "langchain",
    "opentelemetry": "otel",
    "transformers": "transformers",
}
#: Verbs that need several extras: named together, so that one install is enough.
EXTRAS_OF_VERB: Final[dict[str, str]] = {"demo": "capture,ml,node,openai"}


def missing_extra(exc: ModuleNotFoundError, verb: str | None) -> OperationalError | None:
    """Ours, for an optional dependency that is not installed (``None``: not one of ours).

    >>> str(missing_extra(ModuleNotFoundError("No module named 'httpx'", name="httpx"), "log"))
    "MISSING_EXTRA: cerkit log needs the 'node' extra: pip install 'cerkit[node]' (no module httpx)"
    """
    top = (exc.name or "").partition(".")[0]
    extra = EXTRA_OF_MODULE.get(top)
    if extra is None:
        return None
    extras = EXTRAS_OF_VERB.get(verb or "", extra)
    what = f"the '{extra}' extra" if extras == extra else f"the extras {extras}"
    command = f"cerkit {verb}" if verb else "this command"
    return OperationalError(
        f"{command} needs {what}: pip install 'cerkit[{extras}]' (no module {top})",
        Reason.MISSING_EXTRA,
    )


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
    never a traceback, unless ``CERKIT_DEBUG`` is set. A missing optional dependency names
    the extra that brings it (``MISSING_EXTRA``, exit 3), never an ImportError.
    """
    try:
        apply_project_config()
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
    except ModuleNotFoundError as exc:
        missing = missing_extra(exc, getattr(args, "verb", None))
        if missing is None:
            return _internal_error(exc)
        error(str(missing))
        return EXIT_OPERATIONAL
    except RecursionError:
        error("INPUT_TOO_DEEP: value nests too deeply")
        return EXIT_FAILED
    except MemoryError:
        error("INPUT_TOO_LARGE: out of memory")
        return EXIT_OPERATIONAL
    except Exception as exc:
        return _internal_error(exc)


def _internal_error(exc: Exception) -> int:
    """A bug: one line with the exception type, exit 3; ``CERKIT_DEBUG`` re-raises it."""
    import os

    if os.environ.get("CERKIT_DEBUG"):
        raise exc
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
    "PROJECT_SETTINGS",
    "OperationalError",
    "apply_project_config",
    "error",
    "guarded",
    "missing_extra",
    "node_url",
    "os_error",
    "progress",
    "write_json_line",
]
