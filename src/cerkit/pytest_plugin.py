"""The pytest plugin: golden-record regression tests (docs/drift.md §9, docs/ci.md).

Registered through the ``pytest11`` entry point ``cerkit.pytest_plugin`` (``-p
no:cerkit.pytest_plugin`` turns it off). A test marked ``@pytest.mark.cerkit_golden`` or
asking for the ``cerkit_golden`` fixture has every record sealed while its body runs
collected (decorated functions, recorded blocks, instrumented clients:
:mod:`cerkit.capture.collect`). When the body passes, those calls are compared with the
golden records in ``DIR/<test file>/<test name>/``:

* a call that does not reproduce its golden record fails the test with the drift verdict and
  the ranked causes (what ``cerkit explain`` says of the pair);
* a test with no golden records yet fails, saying how to make them;
* with ``--cerkit-update-golden`` the calls are written as the golden records instead (one
  sealed record per file, which ``cerkit verify`` accepts) and the test passes.

``DIR`` is ``--cerkit-golden DIR`` (relative to where pytest was started), else the
``cerkit_golden`` ini option (relative to the ini file), else ``golden`` under the rootdir.

::

    # tests/test_model.py; predict is decorated with @cerkit.record
    @pytest.mark.cerkit_golden
    def test_predict():
        assert predict([1.0, 2.0]) is not None

    $ pytest --cerkit-update-golden tests/test_model.py   # once: golden/tests/test_model/...
    $ pytest                                              # from then on: compared

Every pytest run where cerkit is installed imports this module, so it imports only pytest
and the standard library; cerkit's machinery loads with the first golden test.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Generator
from pathlib import Path
from typing import Any, Final

import pytest

#: How a golden test's folder is named when its node id has characters a file name should
#: not carry: those become ``_`` and a digest of the original keeps names apart.
_UNSAFE: Final[re.Pattern[str]] = re.compile(r"[^A-Za-z0-9_.\[\]=+-]")
_DEFAULT_DIR: Final[str] = "golden"


class GoldenRecords:
    """What the ``cerkit_golden`` fixture gives a test.

    Attributes:
        folder: where this test's golden records are (or will be written).
        update: the run writes golden records instead of comparing (``--cerkit-update-golden``).
        records: the records the test body sealed so far, in sealing order (filled while the
            body runs; calls recorded off the test's thread arrive once they are sealed).
    """

    def __init__(self, folder: Path, update: bool) -> None:
        self.folder = folder
        self.update = update
        self.records: list[dict[str, Any]] = []

    def __repr__(self) -> str:
        return f"GoldenRecords({str(self.folder)!r}, records={len(self.records)})"


_GOLDEN: Final = pytest.StashKey[GoldenRecords]()
_WRITTEN: Final = pytest.StashKey[list[int]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cerkit", "cerkit golden records")
    group.addoption(
        "--cerkit-golden",
        metavar="DIR",
        default=None,
        help=f"folder of golden records (default: ini cerkit_golden, else {_DEFAULT_DIR}/)",
    )
    group.addoption(
        "--cerkit-update-golden",
        action="store_true",
        default=False,
        help="write the recorded calls of golden tests as their golden records",
    )
    parser.addini("cerkit_golden", f"folder of golden records (default {_DEFAULT_DIR}/)")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "cerkit_golden(name=None): compare the calls this test records with its golden "
        "records (cerkit); name replaces the test name in the golden folder",
    )
    config.stash[_WRITTEN] = []


@pytest.fixture
def cerkit_golden(request: pytest.FixtureRequest) -> GoldenRecords:
    """The test's golden records: compare (or, with ``--cerkit-update-golden``, write) the
    calls it records; ``.records`` are those calls so far, ``.folder`` where the goldens live."""
    return _golden(request.node)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    if item.get_closest_marker("cerkit_golden") is None and "cerkit_golden" not in getattr(
        item, "fixturenames", ()
    ):
        return (yield)
    from cerkit.capture.collect import collecting
    from cerkit.integrations import flush

    golden = _golden(item)
    with collecting() as records:
        golden.records = records
        try:
            result = yield
        finally:
            flush()  # calls an integration seals on its background thread
    golden.records = list(records)
    _check(item, golden)
    return result


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    written = config.stash.get(_WRITTEN, [])
    if written:
        root = _root(config)
        terminalreporter.write_line(
            f"cerkit: wrote {sum(written)} golden record(s) for {len(written)} test(s) under "
            f"{root}; review them (cerkit verify) and commit them"
        )


def _golden(item: pytest.Item) -> GoldenRecords:
    if _GOLDEN not in item.stash:
        update = bool(item.config.getoption("cerkit_update_golden"))
        item.stash[_GOLDEN] = GoldenRecords(_folder(item), update)
    return item.stash[_GOLDEN]


def _check(item: pytest.Item, golden: GoldenRecords) -> None:
    """Compare the test's calls with its golden records, or write them; fail the test."""
    from cerkit.drift.golden import compare_golden
    from cerkit.drift.sources import golden_records, write_golden
    from cerkit.errors import CerkitError

    if not golden.records:
        pytest.fail(f"cerkit: {item.nodeid} recorded no call (nothing to compare)", False)
    try:
        if golden.update:
            written = write_golden(golden.folder, golden.records)
            item.config.stash[_WRITTEN].append(len(written))
            return
        expected = [b for _, b in golden_records([golden.folder])] if golden.folder.is_dir() else []
    except CerkitError as exc:
        pytest.fail(f"cerkit: golden records in {golden.folder}: {exc}", False)
    if not expected:
        pytest.fail(
            f"cerkit: no golden records for {item.nodeid} in {golden.folder}; make them with "
            f"`pytest --cerkit-update-golden {item.nodeid}`, check them with `cerkit verify` "
            "and commit the folder",
            False,
        )
    comparison = compare_golden(expected, golden.records)
    if not comparison.passed:
        pytest.fail(
            f"cerkit golden: {comparison.text()}\n(golden records: {golden.folder}; if the "
            "change is intended, refresh them with --cerkit-update-golden)",
            False,
        )


def _root(config: pytest.Config) -> Path:
    given = config.getoption("cerkit_golden")
    if given:
        return Path(config.invocation_params.dir, given)
    ini = config.getini("cerkit_golden")
    if ini:
        return Path(config.inipath.parent if config.inipath else config.rootpath, str(ini))
    return config.rootpath / _DEFAULT_DIR


def _folder(item: pytest.Item) -> Path:
    """``DIR/<test file without .py>/<test name>``, each segment safe as a file name."""
    marker = item.get_closest_marker("cerkit_golden")
    name = None
    if marker is not None:
        name = marker.kwargs.get("name") or (marker.args[0] if marker.args else None)
    try:
        module = item.path.relative_to(item.config.rootpath).with_suffix("").parts
    except ValueError:  # a test file outside the rootdir
        module = (item.path.stem,)
    test = str(name) if name else item.nodeid.partition("::")[2].replace("::", ".")
    return _root(item.config).joinpath(*(_safe(part) for part in (*module, test or item.name)))


def _safe(segment: str) -> str:
    cleaned = _UNSAFE.sub("_", segment)
    if cleaned == segment and segment not in ("", ".", ".."):
        return segment
    digest = hashlib.sha256(segment.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{cleaned.strip('.') or 'test'}-{digest}"
