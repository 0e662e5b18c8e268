"""The runnable examples in the capture and store docstrings stay true."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = (
    "cerkit.capture.recorder",
    "cerkit.capture.collect",
    "cerkit.capture.secrets",
    "cerkit.capture.encode",
    "cerkit.integrations.base",
    "cerkit.capture.fingerprint",
    "cerkit.drift.rerun",
    "cerkit.drift.replay",
    "cerkit.ledger.sqlite",
    "cerkit.ledger.factory",
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0 and result.attempted > 0
