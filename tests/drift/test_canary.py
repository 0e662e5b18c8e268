"""``cerkit canary run`` as cron runs it: golden records of a real recorded module, re-run in
fresh interpreters after a parameter default changed, alerts received by a local HTTP
receiver, an OpenMetrics file read by prometheus_client's parser, JUnit checked by its schema."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import xmlschema
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from cerkit.drift.canary import CanaryCheck, CanaryReport, metrics_text, obstacle
from cerkit.drift.ci_report import JUNIT_SCHEMA
from cerkit.seal import seal_args
from cli_runner import cerkit

MODEL = """
import cerkit

@cerkit.record(store=False)
def predict(x, scale={scale}):
    return x * scale

@cerkit.record(store=False)
def label(text):
    return text.upper()
"""
#: Records the golden calls (and one from a script, which no canary can import again).
RECORD = """
import sys
import cerkit
from cerkit.capture.collect import collecting
from cerkit.drift.sources import write_golden
import model

with collecting() as records:
    model.predict(3)
    model.predict(4)
    model.label("PRIVATE-INPUT-42")
    cerkit.record(store=False)(lambda: 1)()
write_golden(sys.argv[1], records)
"""
TYPED = """
import sys
import cerkit
from cerkit.capture.collect import collecting
from cerkit.drift.sources import write_golden

def greet(name):
    return "hi " + name

with collecting() as records:
    cerkit.record(store=False)(greet)("x")
write_golden(sys.argv[1], records)
"""


class Receiver(BaseHTTPRequestHandler):
    """Keeps every JSON body POSTed to it; answers with the server's ``status``."""

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        server: Any = self.server
        server.alerts.append(json.loads(self.rfile.read(length)))
        self.send_response(server.status)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Any]:
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    server.alerts, server.status = [], 204
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}/hooks/T0-SECRET-TOKEN"
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "model.py").write_text(MODEL.format(scale=2))
    (tmp_path / "record.py").write_text(RECORD)
    done = subprocess.run(
        [sys.executable, "record.py", "golden"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return tmp_path


def canary(project: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return cerkit("canary", "run", "golden", *args, cwd=project)


def test_a_changed_default_is_reported_alerted_and_counted_per_key(
    project: Path, receiver: Any
) -> None:
    outputs = ["--metrics", "canary.prom", "--junit", "canary.xml", "--markdown", "canary.md"]
    same = canary(project, "--webhook", receiver.url, *outputs)
    assert same.returncode == 0, same.stderr
    assert (  # said up front
        "cannot re-run golden/004-record.py_lambda_.json (record.py:<lambda>): "
        "record.py:<lambda> cannot be re-run: <lambda> is a nested function or a lambda"
    ) in same.stderr
    assert "4 golden records, 4 execution keys: 0 drifted; 1 record not compared" in same.stdout
    assert receiver.alerts == []
    assert _drift_samples(project / "canary.prom") == {"model:predict": [0, 0], "model:label": [0]}

    (project / "model.py").write_text(MODEL.format(scale=3))
    drifted = canary(project, "--webhook", receiver.url, "--json", *outputs)
    assert drifted.returncode == 1, drifted.stderr
    report = json.loads(drifted.stdout)
    assert report["compared"] == 3 and report["notCompared"] == 1
    assert len(report["driftedKeys"]) == 2
    verdicts = {c["goldenRecord"][:12]: (c["call"], c["verdict"]) for c in report["checks"]}
    assert sorted(verdicts.values()) == [
        ("model:label", "STABLE_DESPITE_CHANGES"),  # model.py changed, its output did not
        ("model:predict", "DRIFT_EXPLAINED"),
        ("model:predict", "DRIFT_EXPLAINED"),
        ("record.py:<lambda>", None),
    ]
    assert "canary failed (--fail-on any): 2 drifted key(s)" in drifted.stderr

    assert len(receiver.alerts) == 2  # one per drifted key
    alert = receiver.alerts[0]
    assert alert["type"] == "cerkit.canary.drift" and alert["call"] == "model:predict"
    assert alert["verdict"] == "DRIFT_EXPLAINED"
    assert alert["causes"][0]["category"] == "parameter-default"
    assert "its default changed" in alert["causes"][0]["evidence"][0]
    assert alert["executionKey"] in report["driftedKeys"]
    assert "PRIVATE-INPUT-42" not in json.dumps(receiver.alerts)

    assert _drift_samples(project / "canary.prom") == {"model:predict": [1, 1], "model:label": [0]}
    xmlschema.XMLSchema(str(JUNIT_SCHEMA)).validate(str(project / "canary.xml"))
    junit = (project / "canary.xml").read_text()
    assert junit.count("<failure ") == 2 and junit.count("<skipped ") == 1
    assert "parameter-default" in (project / "canary.md").read_text()


def _drift_samples(path: Path) -> dict[str, list[int]]:
    """``cerkit_canary_drift`` values per call, parsed as OpenMetrics (which also checks the
    exposition ends with ``# EOF`` and every family is well formed)."""
    families = {f.name: f for f in text_string_to_metric_families(path.read_text())}
    assert families["cerkit_canary_not_compared"].samples[0].value == 1
    assert families["cerkit_canary_last_run_timestamp_seconds"].samples[0].value > 1.7e9
    found: dict[str, list[int]] = {}
    for sample in families["cerkit_canary_drift"].samples:
        assert sample.labels["key"].startswith("sha256:")
        found.setdefault(sample.labels["call"], []).append(int(sample.value))
    return found


def test_a_webhook_that_refuses_alerts_is_an_operational_error_that_hides_its_url(
    project: Path, receiver: Any
) -> None:
    (project / "model.py").write_text(MODEL.format(scale=5))
    receiver.status = 500
    one = project / "golden" / "001-model_predict.json"
    result = cerkit("canary", "run", one, "--webhook", receiver.url, cwd=project)
    assert result.returncode == 3, result.stderr
    assert f"webhook http://127.0.0.1:{receiver.server_port}: 1 of 1 alert(s) not delivered" in (
        result.stderr
    )
    assert "SECRET" not in result.stderr + result.stdout
    assert "DRIFT" in result.stdout  # the drift is still reported


def test_nothing_to_compare_exits_4_and_a_bad_webhook_url_exits_2(project: Path) -> None:
    (project / "empty").mkdir()
    empty = cerkit("canary", "run", "empty", cwd=project)
    assert empty.returncode == 4 and "NOTHING_TO_COMPARE: no golden records in empty" in (
        empty.stderr
    )
    typed = subprocess.run(  # a function defined in code with no file (python -c)
        [sys.executable, "-c", TYPED, "typed"], cwd=project, capture_output=True, text=True
    )
    assert typed.returncode == 0, typed.stderr
    script = cerkit("canary", "run", "typed", cwd=project)
    assert script.returncode == 4, script.stderr
    assert "__main__:greet cannot be re-run: it was defined in code with no file" in script.stderr
    assert "none of the 1 golden record(s) could be re-run" in script.stderr
    bad = cerkit("canary", "run", "golden", "--webhook", "ftp://example.org/x", cwd=project)
    assert bad.returncode == 2 and "USAGE_ERROR" in bad.stderr


def test_a_golden_record_that_does_not_verify_is_not_re_run(project: Path) -> None:
    path = project / "golden" / "001-model_predict.json"
    bundle = json.loads(path.read_text())
    bundle["snapshot"]["output"] = 999
    reason = obstacle(bundle)
    assert reason is not None and reason.startswith("the golden record does not verify")
    provider_call = seal_args(
        {
            "executionId": "e",
            "provider": "openai",
            "model": "gpt-4o",
            "prompt": "p",
            "input": 1,
            "output": 2,
            "timestamp": "t",
            "parameters": {"temperature": 0, "maxTokens": 0},
        },
        created_at="t",
    )
    assert obstacle(provider_call) == (
        "only records of Python calls (execution.kind 'python') can be re-run"
    )


def test_metric_labels_escape_what_the_exposition_format_reserves(project: Path) -> None:
    bundle = json.loads((project / "golden" / "003-model_label.json").read_text())
    bundle["snapshot"]["execution"]["entryPoint"] = 'evil"\\\nname'
    check = CanaryCheck("g.json", bundle, "compared", None, bundle, None)
    text = metrics_text(CanaryReport((check,), 1.7e9))
    assert 'call="evil\\"\\\\\\nname"' in text
    (sample,) = next(
        f for f in text_string_to_metric_families(text) if f.name == "cerkit_canary_drift"
    ).samples
    assert sample.labels["call"] == 'evil"\\\nname'
