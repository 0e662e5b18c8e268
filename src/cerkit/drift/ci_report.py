"""Reports CI systems read: a JUnit XML file and a Markdown summary for a pull-request comment.

Both writers take the same small input, one :class:`ReportRow` per execution key (its entry
point, the verdict, the likeliest causes, a one-line message and whether it fails the gate),
so every gate (``cerkit drift --junit/--markdown``, ``cerkit canary``) renders them alike.

JUnit layout (valid against the shipped :data:`JUNIT_SCHEMA`, the Jenkins xUnit plugin's
``junit-10.xsd`` of the Surefire/Ant format): ``<testsuites>`` holds one ``<testsuite>``
per execution key with one ``<testcase>`` each. The key gets a suite of its own because that
schema allows ``<properties>`` on a suite only, and the verdict and causes belong to the key:
``cerkit.executionKey``, ``cerkit.entryPoint``, ``cerkit.verdict``, ``cerkit.cause.N``. A
gating verdict is a ``<failure type="VERDICT">``; a key that was not compared is
``<skipped>``; the message is also the testcase's ``<system-out>``.

Every value is hostile (an entry point, a cause's evidence): XML escapes it, characters XML 1.0
cannot carry become ``\\xNN`` escapes, and Markdown cells are written as HTML entities, so a
value cannot close the table, start a link, an image or a mention (``@team``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Final
from xml.etree import ElementTree

from cerkit._text import counted
from cerkit.errors import OperationalError

#: The JUnit schema the reports are valid against (MIT, source named in the file).
JUNIT_SCHEMA: Final = files("cerkit.drift") / "junit-10.xsd"
#: Rows listed in a Markdown summary: GitHub refuses comments over 65,536 characters; the
#: failing rows come first, the rest are counted on one line.
MAX_MARKDOWN_ROWS: Final[int] = 100
#: Causes listed per key (in a property each, and in a Markdown cell).
MAX_CAUSES: Final[int] = 3
#: Characters XML 1.0 allows (§2.2 Char); anything else is written as an escape.
_NOT_XML: Final[re.Pattern[str]] = re.compile(
    "[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)
#: Characters a Markdown table cell must not hold literally: the cell and table syntax,
#: emphasis, links and images, code spans, HTML, mentions, escapes.
_MARKDOWN_SPECIAL: Final[frozenset[str]] = frozenset("\\`*_{}[]()<>#+!|~@&:\"'=")


@dataclass(frozen=True, slots=True)
class ReportRow:
    """One execution key's outcome in a gate.

    Attributes:
        key: the execution key (``sha256:...``).
        entry_point: the entry point or model that names the key (``""`` when unknown).
        verdict: the verdict's name (``DRIFT_UNEXPLAINED``, ``WITHIN_TOLERANCE``...).
        causes: the likeliest causes, likeliest first, one line each.
        message: one line saying what was found.
        failed: the verdict fails the gate.
        skipped: the key was not compared (no record, no output to compare...).
    """

    key: str
    entry_point: str
    verdict: str
    causes: tuple[str, ...] = ()
    message: str = ""
    failed: bool = False
    skipped: bool = False

    @property
    def name(self) -> str:
        return self.entry_point or self.key


def _xml(text: str) -> str:
    return _NOT_XML.sub(lambda m: f"\\x{{{ord(m.group()):x}}}", text)


def junit_xml(
    rows: Sequence[ReportRow],
    *,
    name: str = "cerkit drift",
    properties: Mapping[str, str] | None = None,
) -> str:
    """The JUnit XML document for ``rows`` (see the module docstring for the layout).

    Args:
        rows: one row per execution key.
        name: the ``<testsuites>`` name (the gate that ran).
        properties: run-wide facts added to every suite's properties (``cerkit.failOn``...).

    >>> xml = junit_xml([ReportRow("sha256:ab", "app:f", "DRIFT_UNEXPLAINED", failed=True)])
    >>> '<failure type="DRIFT_UNEXPLAINED"' in xml
    True
    """
    failures = sum(r.failed for r in rows)
    root = ElementTree.Element(
        "testsuites", name=_xml(name), tests=str(len(rows)), failures=str(failures), errors="0"
    )
    for index, row in enumerate(rows):
        root.append(_suite(index, row, properties or {}))
    ElementTree.indent(root)
    body = ElementTree.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _suite(index: int, row: ReportRow, common: Mapping[str, str]) -> ElementTree.Element:
    suite = ElementTree.Element(
        "testsuite",
        name=_xml(row.name),
        id=str(index),
        package="cerkit",
        tests="1",
        failures=str(int(row.failed)),
        errors="0",
        skipped=str(int(row.skipped and not row.failed)),
    )
    values = {
        "cerkit.executionKey": row.key,
        "cerkit.entryPoint": row.entry_point,
        "cerkit.verdict": row.verdict,
        **{f"cerkit.cause.{n}": c for n, c in enumerate(row.causes[:MAX_CAUSES], start=1)},
        **common,
    }
    props = ElementTree.SubElement(suite, "properties")
    for key, value in values.items():
        ElementTree.SubElement(props, "property", name=_xml(key), value=_xml(value))
    case = ElementTree.SubElement(suite, "testcase", name=_xml(row.name), classname=_xml(row.key))
    message = _xml(f"{row.verdict}: {row.message}" if row.message else row.verdict)
    if row.failed:
        failure = ElementTree.SubElement(case, "failure", type=_xml(row.verdict), message=message)
        failure.text = _xml("\n".join(row.causes) or row.message)
    elif row.skipped:
        ElementTree.SubElement(case, "skipped", message=message)
    ElementTree.SubElement(case, "system-out").text = message
    return suite


def _cell(text: str) -> str:
    """``text`` as one Markdown table cell: specials as numeric entities, one line."""
    text = " ".join(text.split())
    return "".join(f"&#{ord(c)};" if c in _MARKDOWN_SPECIAL else c for c in text)


def _short_key(key: str) -> str:
    return key[:19] + "…" if len(key) > 20 else key


def markdown(rows: Sequence[ReportRow], *, title: str = "cerkit drift", note: str = "") -> str:
    """A Markdown summary for a pull-request comment: a headline, then a table.

    Args:
        rows: one row per execution key.
        title: what ran (the headline starts with it).
        note: a line under the headline (e.g. the gate's ``--fail-on``), plain text.

    >>> text = markdown([ReportRow("sha256:ab", "app|f", "IDENTICAL")])
    >>> "app&#124;f" in text and text.startswith("### ✅")
    True
    """
    failed = [r for r in rows if r.failed]
    mark = "❌" if failed else "✅"
    head = f"### {mark} {_cell(title)}: "
    if failed:
        head += f"{len(failed)} of {counted(len(rows), 'execution key')} failed the gate"
    else:
        head += f"{counted(len(rows), 'execution key')}, none failed the gate"
    lines = [head, ""]
    if note:
        lines += [_cell(note), ""]
    if not rows:
        return "\n".join([*lines, "Nothing was compared."]) + "\n"
    lines += [
        "| | verdict | entry point | execution key | likeliest causes / message |",
        "| --- | --- | --- | --- | --- |",
    ]
    ordered = failed + [r for r in rows if not r.failed]
    for row in ordered[:MAX_MARKDOWN_ROWS]:
        sign = "❌" if row.failed else ("⏭️" if row.skipped else "✅")
        why = "; ".join(row.causes[:MAX_CAUSES]) or row.message
        lines.append(
            f"| {sign} | {_cell(row.verdict)} | {_cell(row.entry_point or '?')} "
            f"| {_cell(_short_key(row.key))} | {_cell(why)} |"
        )
    if len(ordered) > MAX_MARKDOWN_ROWS:
        lines += ["", f"… and {counted(len(ordered) - MAX_MARKDOWN_ROWS, 'more key')}."]
    return "\n".join(lines) + "\n"


def write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write a report file (UTF-8; lone surrogates as escapes).

    Raises:
        OperationalError: the file cannot be written (``IO_ERROR``).
    """
    try:
        with open(path, "w", encoding="utf-8", errors="backslashreplace") as handle:
            handle.write(text)
    except OSError as exc:
        raise OperationalError(f"cannot write {os.fspath(path)}: {exc.strerror}") from None


def write_reports(
    rows: Iterable[ReportRow],
    *,
    junit: str | None = None,
    markdown_file: str | None = None,
    name: str = "cerkit drift",
    properties: Mapping[str, str] | None = None,
    note: str = "",
) -> list[str]:
    """Write the JUnit and/or Markdown report of ``rows``; return the paths written."""
    table = list(rows)
    written = []
    if junit:
        write_text(junit, junit_xml(table, name=name, properties=properties))
        written.append(junit)
    if markdown_file:
        write_text(markdown_file, markdown(table, title=name, note=note))
        written.append(markdown_file)
    return written


__all__ = [
    "JUNIT_SCHEMA",
    "MAX_MARKDOWN_ROWS",
    "ReportRow",
    "junit_xml",
    "markdown",
    "write_reports",
    "write_text",
]
