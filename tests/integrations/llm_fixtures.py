"""Helpers for the integration tests: collected records and the API key that must not leak."""

from __future__ import annotations

from typing import Any

#: What tests put in ``api_key``: it must never reach a record.
API_KEY = "sk-proj-Zq8wLm3Rt7Yv2Kp9Xc4Nb6Hd1Fg5Js0Aq"


class Records(list[dict[str, Any]]):
    """A post-seal hook that keeps every sealed bundle."""

    def __call__(self, bundle: dict[str, Any]) -> None:
        self.append(bundle)
