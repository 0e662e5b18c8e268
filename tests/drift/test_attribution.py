"""Verdicts and cause ranking on records built after the field contract."""

from __future__ import annotations

from drift_records import DROP, make

from cerkit.drift.attribution import Verdict, explain
from cerkit.drift.diff import diff_records
from cerkit.execution_key import execution_key

ENV = "environment"


def test_same_record_twice_is_identical() -> None:
    a = make()
    b = make(at="2026-01-02T00:00:00.000Z")
    explanation = explain(a, b)
    assert explanation.verdict is Verdict.IDENTICAL
    assert explanation.causes == ()


def test_volatile_fields_do_not_count_as_changes() -> None:
    a = make()
    b = make({"executionId": "e-2", "execution.durationMs": 99, "execution.startedAt": "x"})
    assert diff_records(a, b).known == ()
    assert execution_key(a) == execution_key(b)


def test_different_input_is_an_expected_change() -> None:
    explanation = explain(make(), make({"input": {"args": [[3.0]], "kwargs": {}}, "output": 1}))
    assert explanation.verdict is Verdict.EXPECTED_CHANGE
    assert explanation.key_a != explanation.key_b


def test_different_passed_parameter_is_an_expected_change() -> None:
    b = make({"parameters.seed": 7, "output": 1})
    assert explain(make(), b).verdict is Verdict.EXPECTED_CHANGE


def test_imported_package_bump_ranks_ahead_of_one_never_imported() -> None:
    b = make(
        {
            f"{ENV}.packages.installed": {"numpy": "2.1.0", "tinypkg": "2.0", "unused": "0.2"},
            f"{ENV}.imported.packages": {"numpy": "2.1.0", "tinypkg": "2.0"},
            "output": 0.8,
        }
    )
    explanation = explain(make(), b)
    assert explanation.verdict is Verdict.DRIFT_EXPLAINED
    first, second = explanation.causes[0], explanation.causes[1]
    assert (first.category, first.subject) == ("dependency", "tinypkg")
    assert "imported" in first.evidence[0]
    assert (second.subject, second.score) == ("unused", 20)


def test_weights_change_beats_a_package_bump() -> None:
    b = make(
        {
            "modelIdentity.weightsDigest": "sha256:" + "b" * 64,
            f"{ENV}.packages.installed.tinypkg": "2.0",
            f"{ENV}.imported.packages.tinypkg": "2.0",
            "output": 0.1,
        }
    )
    causes = explain(make(), b).causes
    assert causes[0].category == "model"
    assert "weights" in causes[0].evidence[0]


def test_effective_parameter_change_with_same_passed_value_is_a_default_shift() -> None:
    b = make({"effectiveParameters.threshold": 0.7, "output": 0.2})
    cause = explain(make(), b).causes[0]
    assert (cause.category, cause.subject) == ("parameter-default", "threshold")
    assert "default changed" in cause.evidence[0]


def test_environment_variable_change_is_attributed() -> None:
    b = make({f"{ENV}.envVars.values": {"OMP_NUM_THREADS": "2", "TZ": "Asia/Tokyo"}, "output": 3})
    cause = explain(make(), b).causes[0]
    assert (cause.category, cause.subject) == ("environment", "TZ")


def test_code_digest_change_is_attributed_to_code() -> None:
    b = make({"execution.codeDigest": "sha256:" + "d" * 64, "output": 3})
    cause = explain(make(), b).causes[0]
    assert cause.category == "code"
    assert "source code" in cause.evidence[0]


def test_output_change_with_nothing_else_is_unexplained_and_suggests_replay() -> None:
    explanation = explain(make(), make({"output": 0.123}))
    assert explanation.verdict is Verdict.DRIFT_UNEXPLAINED
    assert any("no random seeds" in note for note in explanation.notes)


def test_change_that_keeps_the_output_is_stable_despite_changes() -> None:
    b = make({f"{ENV}.python.version": "3.12.1"})
    explanation = explain(make(), b)
    assert explanation.verdict is Verdict.STABLE_DESPITE_CHANGES
    assert explanation.causes[0].category == "runtime"


def test_unknown_part_is_reported_as_unknown_never_as_equal() -> None:
    b = make({f"{ENV}.hardware": {"source": "proc", "unknown": "permission denied"}})
    diff = diff_records(make(), b)
    paths = {c.path: c for c in diff.unknown}
    assert "snapshot.environment.hardware" in paths
    assert "permission denied" in paths["snapshot.environment.hardware"].reason
    # "not a git repository" on both sides is a fact that compares equal, not an unknown
    assert "snapshot.environment.git" not in paths
    # but git unknown on both sides for another reason is still unknown, never equal
    no_git = {"source": "git", "unknown": "git is not installed"}
    both = diff_records(make({f"{ENV}.git": no_git}), make({f"{ENV}.git": no_git}))
    assert "snapshot.environment.git" in {c.path for c in both.unknown}


def test_part_missing_on_one_side_is_unknown() -> None:
    b = make({f"{ENV}.numeric": DROP})
    change = {c.path: c for c in diff_records(make(), b).unknown}["snapshot.environment.numeric"]
    assert "not recorded in the second" in change.reason


def test_isa_flags_are_diffed_as_sets() -> None:
    b = make({f"{ENV}.hardware.isaFlags": ["avx2", "avx512f"]})
    change = diff_records(make(), b).in_facet("hardware")[0]
    assert (change.before, change.after) == ([], ["avx512f"])


def test_explanation_json_has_facets_and_causes() -> None:
    b = make({"effectiveParameters.threshold": 0.7, "output": 0.2})
    data = explain(make(), b).to_json()
    assert data["verdict"] == "DRIFT_EXPLAINED"
    assert data["executionKey"]["same"] is True
    assert data["facets"]["effectiveParameters"][0]["path"] == (
        "snapshot.effectiveParameters.threshold"
    )
    assert data["facets"]["outputs"]


def test_records_without_any_fingerprint_never_diff_as_equal() -> None:
    a = make({ENV: DROP})
    b = make({ENV: DROP, "output": 9})
    explanation = explain(a, b)
    assert explanation.verdict is Verdict.DRIFT_UNEXPLAINED
    assert "could not be compared" in explanation.summary
    assert [c.path for c in explanation.diff.unknown] == ["snapshot.environment"]


def test_served_model_change_beats_an_imported_package_bump() -> None:
    llm = {"execution": DROP, "provider": "openai", "model": "gpt-4o"}
    a = make({**llm, "modelIdentity": {"requestedModel": "gpt-4o", "servedModel": "gpt-4o-0806"}})
    b = make(
        {
            **llm,
            "modelIdentity": {"requestedModel": "gpt-4o", "servedModel": "gpt-4o-1120"},
            f"{ENV}.packages.installed.tinypkg": "2.0",
            f"{ENV}.imported.packages.tinypkg": "2.0",
            "output": "different words",
        }
    )
    explanation = explain(a, b)
    assert explanation.verdict is Verdict.DRIFT_EXPLAINED
    assert [c.category for c in explanation.causes[:2]] == ["model", "dependency"]
    assert "served model" in explanation.causes[0].evidence[0]


def test_blas_thread_change_is_a_numeric_stack_cause() -> None:
    b = make({f"{ENV}.numeric.blas": [{"vendor": "openblas", "threads": 8}], "output": 0.7501})
    cause = explain(make(), b).causes[0]
    assert cause.category == "numeric-stack"
    assert "threads" in cause.evidence[0]
