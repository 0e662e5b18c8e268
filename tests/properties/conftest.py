"""Hypothesis profiles for the property tests: bounded in ``make test``, long in ``make fuzz``.

``CERKIT_HYPOTHESIS_PROFILE`` picks one: ``cerkit`` (the default: 200 examples a property,
a few seconds each) or ``fuzz`` (1,000 examples a property, run by ``make fuzz``). No example
database is written: a failure prints the example that reproduces it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final

from hypothesis import HealthCheck, settings

#: Examples per property in the normal suite: enough to cross every strategy's branches,
#: small enough that the whole property suite stays well under a minute.
NORMAL_EXAMPLES: Final[int] = 200
#: Examples per property in ``make fuzz``.
FUZZ_EXAMPLES: Final[int] = 1_000

_COMMON = {
    "deadline": None,  # a loaded CI machine is not a failure
    "database": None,
    "suppress_health_check": (HealthCheck.too_slow, HealthCheck.data_too_large),
}
settings.register_profile("cerkit", max_examples=NORMAL_EXAMPLES, **_COMMON)
settings.register_profile("fuzz", max_examples=FUZZ_EXAMPLES, **_COMMON)
settings.load_profile(os.environ.get("CERKIT_HYPOTHESIS_PROFILE", "cerkit"))

# The fuzz harnesses (fuzz/) build the node these tests talk to.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "fuzz"))
