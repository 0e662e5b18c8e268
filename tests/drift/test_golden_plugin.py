"""The pytest plugin run as a user runs it: pytest in a subprocess (``pytester``) over a project
with a recorded function, golden records made with ``--cerkit-update-golden`` and checked by
``cerkit verify``, then a changed parameter default that must fail the test with its cause."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
from pathlib import Path

import pytest

from cli_runner import cerkit

PLUGIN = "cerkit.pytest_plugin"
REGISTERED = any(e.value == PLUGIN for e in importlib.metadata.entry_points(group="pytest11"))

MODEL = """
import cerkit

@cerkit.record(store=False)
def predict(x, scale={scale}):
    return x * scale
"""
TESTS = """
import pytest
import model

@pytest.mark.cerkit_golden
def test_predict():
    assert model.predict(3) > 0
    assert model.predict(4) > 0

def test_through_the_fixture(cerkit_golden):
    model.predict(5)
    assert len(cerkit_golden.records) == 1

def test_not_golden():
    model.predict(6)
"""


@pytest.fixture(autouse=True)
def only_this_plugin(monkeypatch: pytest.MonkeyPatch) -> None:
    """The inner runs load no installed plugin but this one, named as a conftest would name
    it (a second of start-up instead of many; the entry point has a test of its own)."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_subprocess("-p", PLUGIN, "-p", "no:cacheprovider", *args)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makepyfile(model=MODEL.format(scale=2), test_model=TESTS)
    return pytester


def golden_files(root: Path) -> list[Path]:
    return sorted((root / "golden").rglob("*.json"))


def test_a_golden_test_without_golden_records_fails_and_says_how_to_make_them(
    project: pytest.Pytester,
) -> None:
    result = run(project)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        ["*no golden records for test_model.py::test_predict in *golden/test_model/test_predict*"]
    )
    result.stdout.fnmatch_lines(["*pytest --cerkit-update-golden test_model.py::test_predict*"])
    assert golden_files(project.path) == []


def test_update_mode_writes_golden_records_that_cerkit_verify_accepts(
    project: pytest.Pytester,
) -> None:
    result = run(project, "--cerkit-update-golden")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["cerkit: wrote 3 golden record(s) for 2 test(s) under *golden*"])
    files = golden_files(project.path)
    names = [f.relative_to(project.path / "golden").as_posix() for f in files]
    assert names == [
        "test_model/test_predict/001-model_predict.json",
        "test_model/test_predict/002-model_predict.json",
        "test_model/test_through_the_fixture/001-model_predict.json",
    ]
    verified = cerkit("verify", *files)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.count("VERIFIED") == 3


def test_golden_records_pass_then_a_changed_default_fails_with_its_cause(
    project: pytest.Pytester,
) -> None:
    run(project, "--cerkit-update-golden").assert_outcomes(passed=3)
    run(project).assert_outcomes(passed=3)

    project.makepyfile(model=MODEL.format(scale=3))
    result = run(project)
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*cerkit golden: 2 of 2 recorded calls differ from the golden records",
            "*call 1 model:predict: DRIFT_EXPLAINED: output changed; likeliest cause "
            "(parameter-default): effective parameter scale 2 -> 3 while it was not passed*",
            "*1. [[]parameter-default[]] scale (score *)",
            "*its default changed",
            "*2. [[]code[]] model:predict*",
        ]
    )
    result.stdout.fnmatch_lines(["*refresh them with --cerkit-update-golden*"])


def test_a_missing_call_fails_until_a_refresh_replaces_the_golden_records(
    project: pytest.Pytester,
) -> None:
    run(project, "--cerkit-update-golden").assert_outcomes(passed=3)
    project.makepyfile(test_model=TESTS.replace("    assert model.predict(4) > 0\n", ""))
    result = run(project, "-k", "test_predict")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*call 2 model:predict: MISSING_CALL*"])
    run(project, "--cerkit-update-golden", "-k", "test_predict").assert_outcomes(passed=1)
    folder = project.path / "golden" / "test_model" / "test_predict"
    assert [f.name for f in sorted(folder.iterdir())] == ["001-model_predict.json"]
    run(project).assert_outcomes(passed=3)


def test_the_golden_folder_comes_from_the_option_or_the_ini_file(
    project: pytest.Pytester,
) -> None:
    project.makeini("[pytest]\ncerkit_golden = records/golden\n")
    run(project, "--cerkit-update-golden").assert_outcomes(passed=3)
    assert len(list((project.path / "records" / "golden").rglob("*.json"))) == 3
    run(project, "--cerkit-golden", "elsewhere", "--cerkit-update-golden")
    assert len(list((project.path / "elsewhere").rglob("*.json"))) == 3
    run(project).assert_outcomes(passed=3)


def test_a_test_that_fails_on_its_own_writes_no_golden_record(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        model=MODEL.format(scale=2),
        test_broken="import pytest, model\n\n@pytest.mark.cerkit_golden\n"
        "def test_broken():\n    model.predict(1)\n    assert False, 'the test itself'\n",
    )
    result = run(pytester, "--cerkit-update-golden")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: the test itself*"])
    assert golden_files(pytester.path) == []


INSTRUMENTED = """
import os

import openai
import pytest

from cerkit.integrations import openai as cerkit_openai
from cerkit.integrations.standin import StandIn

@pytest.fixture
def client():
    with StandIn(aliases={"gpt-4o": os.environ.get("SERVED", "gpt-4o-2024-08-06")}) as server:
        server.settings.answer = os.environ.get("ANSWER", "Paris.")
        client = openai.OpenAI(base_url=server.openai_url, api_key="sk-test", max_retries=0)
        handle = cerkit_openai.instrument(client, store=False)
        yield client
        handle.uninstrument()

@pytest.mark.cerkit_golden
def test_capital(client):
    ask = [{"role": "user", "content": "Capital of France?"}]
    assert client.chat.completions.create(model="gpt-4o", messages=ask).choices
"""


def test_calls_of_an_instrumented_client_are_compared_with_their_golden_records(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_llm=INSTRUMENTED)
    run(pytester, "--cerkit-update-golden").assert_outcomes(passed=1)
    run(pytester).assert_outcomes(passed=1)  # another port, request id: the answer is the same
    monkeypatch.setenv("SERVED", "gpt-4o-2024-11-20")
    monkeypatch.setenv("ANSWER", "Paris!")
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*call 1 gpt-4o: DRIFT_EXPLAINED*likeliest cause (model): the served model changed*"]
    )


@pytest.mark.skipif(not REGISTERED, reason="cerkit's install metadata predates the entry point")
def test_the_entry_point_registers_the_plugin_once_even_when_a_conftest_names_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    pytester.makeconftest(f"pytest_plugins = [{PLUGIN!r}]\n")
    pytester.makepyfile(
        test_registered=f"""
import {PLUGIN} as plugin

def test_registered_once(request):
    manager = request.config.pluginmanager
    assert manager.get_plugin({PLUGIN!r}) is plugin
    assert sum(1 for p in manager.get_plugins() if p is plugin) == 1
"""
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    disabled = pytester.runpytest_subprocess("-p", f"no:{PLUGIN}", "--cerkit-update-golden")
    assert disabled.ret == pytest.ExitCode.USAGE_ERROR  # the option is the plugin's


def test_the_plugin_module_imports_nothing_of_cerkit_until_a_golden_test_runs() -> None:
    probe = (
        f"import sys, {PLUGIN}; "
        "print(sorted(m for m in sys.modules if m.startswith('cerkit.') and m != "
        f"{PLUGIN!r}))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    # importing the package runs cerkit/__init__.py, which marks where cerkit's imports end
    assert done.stdout.strip() == "['cerkit.capture', 'cerkit.capture._imports']"
