"""The pure half of confirmation and bisection: which runs, and what they prove.

The runner here implements the real :class:`cerkit.drift.confirm.Runner` interface over a
model of an execution (its output follows one factor of the setting), so every count and
outcome is the engine's own; the real-process scenarios are in test_confirm_scenarios.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from drift_records import make

from cerkit.drift.attribution import explain
from cerkit.drift.bisect import bisect, smallest_set
from cerkit.drift.confirm import Outcome, Run, RunResult, confirm
from cerkit.drift.factors import Setting, conditions, plan
from cerkit.drift.verdict import seal_verdict
from cerkit.errors import UsageError
from cerkit.verify import TrustStore, verify_bundle

ENV = "environment"
Model = Callable[[Setting], bool]  # True: the run gives A's output


class ModelRunner:
    """Answers each run with A's or B's output hash, as ``gives_a`` decides."""

    def __init__(self, a: Mapping[str, Any], b: Mapping[str, Any], gives_a: Model) -> None:
        self.outputs = (a["snapshot"]["outputHash"], b["snapshot"]["outputHash"])
        self.gives_a = gives_a
        self.runs: list[Run] = []

    def __call__(self, run: Run) -> RunResult:
        self.runs.append(run)
        output = self.outputs[0] if self.gives_a(run.setting) else self.outputs[1]
        record = {"certificateHash": f"sha256:{len(self.runs):064x}"}
        return RunResult(output, record, 0.01)


def _env(setting: Setting, name: str) -> str | None:
    return dict(setting.env).get(name)


def _pair() -> tuple[dict[str, Any], dict[str, Any]]:
    a = make({f"{ENV}.envVars.values": {"OMP_NUM_THREADS": "2", "TZ": "UTC"}})
    b = make(
        {
            f"{ENV}.envVars.values": {"OMP_NUM_THREADS": "4", "TZ": "Europe/Paris"},
            f"{ENV}.packages.installed.tinypkg": "2.0",
            f"{ENV}.imported.packages.tinypkg": "2.0",
            "effectiveParameters.threshold": 0.7,
            "output": 0.9,
        },
        at="2026-01-02T00:00:00.000Z",
    )
    return a, b


def test_the_one_real_cause_is_confirmed_and_the_decoys_refuted() -> None:
    a, b = _pair()
    runner = ModelRunner(a, b, lambda s: _env(s, "TZ") == "UTC")
    result = confirm(explain(a, b), runner)
    assert result.reproduces == "B"
    outcomes = {t.candidate.subject: t.outcome for t in result.tested}
    assert outcomes["TZ"] is Outcome.CONFIRMED
    assert outcomes["OMP_NUM_THREADS"] is Outcome.REFUTED
    assert outcomes["tinypkg"] is Outcome.REFUTED
    assert outcomes["threshold"] is Outcome.REFUTED
    assert result.verdict == "CONFIRMED"
    assert result.reruns == 1 + 4 == len(runner.runs)
    assert "confirmed cause: environment TZ (5 re-runs" in result.summary()
    flipped = next(r for r in runner.runs if "TZ" in r.purpose).setting
    assert _env(flipped, "OMP_NUM_THREADS") == "4"  # every other factor stays at B's value
    assert ("tinypkg", "1.0") in next(
        r for r in runner.runs if "tinypkg" in r.purpose
    ).setting.packages


def test_when_the_current_environment_gives_a_the_flips_go_to_b() -> None:
    a, b = _pair()
    # The package in the current environment is A's: only B's version gives B's output.
    runner = ModelRunner(a, b, lambda s: ("tinypkg", "2.0") not in s.packages)
    result = confirm(explain(a, b), runner)
    assert result.reproduces == "A"
    assert [t.candidate.subject for t in result.confirmed] == ["tinypkg"]
    assert [r.purpose for r in runner.runs[:2]] == ["reproduce B", "reproduce A"]


def test_one_reproducing_run_answers_for_both_when_the_conditions_agree() -> None:
    a, b = _upgrade(4)
    runner = ModelRunner(a, b, lambda s: ("pkg01", "2.0") not in s.packages)
    result = confirm(explain(a, b), runner)
    assert result.reproduces == "A"
    assert [r.purpose for r in runner.runs].count("reproduce A") == 0
    assert [t.candidate.subject for t in result.confirmed] == ["pkg01"]


def test_an_environment_that_reproduces_neither_record_tests_nothing() -> None:
    a, b = _pair()
    runner = ModelRunner(a, b, lambda s: False)
    runner.outputs = ("sha256:" + "1" * 64, "sha256:" + "2" * 64)
    result = confirm(explain(a, b), runner)
    assert result.verdict == "NOT_REPRODUCED"
    assert result.reruns == 2
    assert {t.outcome for t in result.tested} == {Outcome.NOT_TESTABLE}


def test_the_time_budget_stops_new_runs_and_says_so() -> None:
    a, b = _pair()
    ticks = iter(range(100))
    runner = ModelRunner(a, b, lambda s: False)
    result = confirm(explain(a, b), runner, budget=2.5, clock=lambda: float(next(ticks)))
    assert result.reruns == 3  # the clock reads 0, 1, 2 before runs 1-3, then 3 > 2.5
    late = [t for t in result.tested if "budget" in t.reason]
    assert late and all(t.outcome is Outcome.NOT_TESTABLE for t in late)


def test_untestable_kinds_name_their_reason() -> None:
    a = make()
    b = make(
        {
            "modelIdentity.weightsDigest": "sha256:" + "b" * 64,
            f"{ENV}.hardware.cpuModel": "EPYC",
            "output": 0.1,
        }
    )
    reasons = {c.category: c.reason for c in plan(explain(a, b), b)}
    assert "provider-side" in reasons["model"]
    assert "hardware" in reasons["hardware"]


def test_conditions_recreate_a_records_variables_and_unset_the_others() -> None:
    a, b = _pair()
    b["snapshot"]["environment"]["envVars"]["values"].pop("TZ")
    setting = conditions(b, a)
    assert dict(setting.env) == {"OMP_NUM_THREADS": "4", "TZ": None}


def test_a_pair_without_drift_is_refused() -> None:
    a = make()
    with pytest.raises(UsageError, match="nothing to confirm"):
        confirm(explain(a, a), ModelRunner(a, a, lambda s: True))


def _upgrade(count: int) -> tuple[dict[str, Any], dict[str, Any]]:
    names = {f"pkg{i:02d}": "1.0" for i in range(count)}
    a = make({f"{ENV}.packages.installed": dict(names)})
    b = make(
        {f"{ENV}.packages.installed": dict.fromkeys(names, "2.0"), "output": 0.1},
        at="2026-01-02T00:00:00.000Z",
    )
    return a, b


@pytest.mark.parametrize("count", [1, 2, 5, 32])
def test_bisection_finds_one_culprit_in_at_most_log2_n_plus_2_runs(count: int) -> None:
    a, b = _upgrade(count)
    explanation = explain(a, b)
    for position in range(count):
        culprit = f"pkg{position:02d}"
        runner = ModelRunner(a, b, lambda s, c=culprit: (c, "1.0") in s.packages)
        result = bisect(explanation, runner)
        assert [t.candidate.subject for t in result.confirmed] == [culprit]
        assert result.reruns <= math.ceil(math.log2(count)) + 2, (culprit, result.reruns)


def test_bisection_finds_the_smallest_set_when_two_packages_act_together() -> None:
    a, b = _upgrade(16)
    pair = {("pkg03", "1.0"), ("pkg11", "1.0")}
    runner = ModelRunner(a, b, lambda s: pair <= set(s.packages))
    result = bisect(explain(a, b), runner)
    assert sorted(t.candidate.subject for t in result.confirmed) == ["pkg03", "pkg11"]
    refuted = [t for t in result.tested if t.outcome is Outcome.REFUTED]
    assert refuted, "packages flipped without moving the output are refuted"


def test_bisection_says_when_no_set_of_packages_flips_the_output() -> None:
    a, b = _upgrade(8)
    result = bisect(explain(a, b), ModelRunner(a, b, lambda s: s.flags == ("-O",)))
    assert result.confirmed == ()
    assert "no set of the 8 changed packages" in result.notes[0]


def test_smallest_set_on_the_empty_list_is_none() -> None:
    assert smallest_set([], lambda subset: True) is None


def test_a_verdict_is_a_sealed_record_that_verifies_and_can_be_signed() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from cerkit.capture.trust_hooks import trust_hooks

    a, b = _pair()
    result = confirm(explain(a, b), ModelRunner(a, b, lambda s: _env(s, "TZ") == "UTC"))
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
    bundle = seal_verdict(
        result, environment=None, at="2026-01-03T00:00:00.000Z", hooks=trust_hooks(sign=key)
    )
    output = bundle["snapshot"]["output"]
    assert output["confirmed"] == ["environment:TZ"]
    assert (output["a"], output["b"]) == (a["certificateHash"], b["certificateHash"])
    assert bundle["snapshot"]["execution"]["replays"] == [t.certificate_hash for t in result.trials]
    public = key.public_key().public_bytes_raw()
    report = verify_bundle(bundle, trust=TrustStore(producer_keys=(public,)))
    assert report.verdict == "VERIFIED", report.failures
    assert report.assurance.label == "signed"


def test_an_interpreter_flag_is_flipped_alone_over_the_base_flags() -> None:
    flags = {"optimize": 0, "dont_write_bytecode": 1, "utf8_mode": 0, "hash_randomization": 1}
    a = make({f"{ENV}.python.flags": dict(flags), f"{ENV}.python.xoptions": {}})
    b = make(
        {f"{ENV}.python.flags": {**flags, "optimize": 1, "utf8_mode": 1},
         f"{ENV}.python.xoptions": {"utf8": True}, "output": 0.1},
    )  # fmt: skip
    candidates = {c.subject: c for c in plan(explain(a, b), b)}
    optimize = candidates["python.flags.optimize"].setting
    assert optimize is not None and optimize.flags == ("-B", "-X", "utf8")  # -O removed alone
    assert conditions(b, a).flags == ("-B", "-O", "-X", "utf8")


def test_locale_categories_and_time_zone_map_to_their_variables() -> None:
    locale = {"locale": "C.UTF-8", "categories": {"LC_TIME": "C"}, "timezone": "UTC"}
    a = make({f"{ENV}.locale": locale})
    moved = {**locale, "categories": {"LC_TIME": "C.UTF-8"}, "timezone": "Asia/Tokyo"}
    b = make({f"{ENV}.locale": moved, "output": 0.2})
    settings = {c.subject: c.setting for c in plan(explain(a, b), b)}
    assert settings["locale.categories.LC_TIME"] == Setting(env=(("LC_TIME", "C"),))
    assert settings["locale.timezone"] == Setting(env=(("TZ", "UTC"),))


def test_a_user_source_file_is_restored_by_its_digest() -> None:
    files = {"app.py": "sha256:" + "1" * 64, "lib/helper.py": "sha256:" + "2" * 64}
    a = make({"execution.userCode": {"source": "s", "files": dict(files)}})
    edited = {**files, "lib/helper.py": "sha256:" + "3" * 64}
    b = make({"execution.userCode": {"source": "s", "files": edited}, "output": 0.3})
    (cause,) = [c for c in explain(a, b).causes if c.category == "code"]
    assert cause.subject == "lib/helper.py" and cause.score == 84  # below codeDigest (86)
    (candidate,) = [c for c in plan(explain(a, b), b) if c.category == "code"]
    assert candidate.setting == Setting(files=(("lib/helper.py", "sha256:" + "2" * 64, ""),))
