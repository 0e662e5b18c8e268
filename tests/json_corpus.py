"""Seeded random JSON values and createSnapshot arguments for the canonical and interop tests.

The generators aim at every edge the spec names: escapes and control characters, U+007F,
U+2028/U+2029, high-BMP (U+E000..U+FFFF) and astral characters in keys and values (their
UTF-16 order differs from code-point order), optional lone surrogates, and numbers across
all magnitudes: integral floats, -0.0, the 1e-7..1e-5 region where exponent notation starts,
the 1e21 switch, integers around and far beyond 2^53, raw IEEE-754 bit patterns.
"""

from __future__ import annotations

import random
import struct
from typing import Any

_ASCII = "abcxyzABC_019 -.:"
_SPECIAL = ['"', "\\", "/", "\x7f", "\u2028", "\u2029", "\ufeff", "\b", "\f", "\n", "\r", "\t"]


def random_char(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(_ASCII)
    if roll < 0.45:
        return rng.choice(_SPECIAL)
    if roll < 0.55:
        return chr(rng.randrange(0x20))
    if roll < 0.70:
        return chr(rng.randrange(0x80, 0xD800))
    if roll < 0.85:
        return chr(rng.randrange(0xE000, 0x10000))
    return chr(rng.randrange(0x10000, 0x110000))


def random_string(rng: random.Random, *, lone_surrogates: bool, max_len: int = 10) -> str:
    pieces = []
    for _ in range(rng.randrange(max_len + 1)):
        if lone_surrogates and rng.random() < 0.03:
            # Followed by "x" so that two lone halves never meet and form a pair.
            pieces.append(chr(rng.randrange(0xD800, 0xE000)) + "x")
        else:
            pieces.append(random_char(rng))
    return "".join(pieces)


def random_double(rng: random.Random) -> float:
    while True:
        value: float = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if value == value and value not in (float("inf"), float("-inf")):
            return value


def random_number(rng: random.Random) -> int | float:
    sign = rng.choice((1, -1))
    kind = rng.randrange(12)
    if kind == 0:
        return rng.randint(-1000, 1000)
    if kind == 1:
        return sign * (2**53 + rng.randint(-4, 4))  # around 2^53, odd ones round to even
    if kind == 2:
        return sign * rng.randrange(2**53, 10**30)  # beyond 2^53: JavaScript rounds
    if kind == 3:
        return sign * rng.randrange(10**30, 10**300)
    if kind == 4:
        return random_double(rng)
    if kind == 5:
        return sign * 10 ** rng.uniform(-7, -5)  # ECMAScript switches to exponent at 1e-6
    if kind == 6:
        return float(rng.randint(-(10**17), 10**17))  # integral floats
    if kind == 7:
        return rng.choice((-0.0, 0.0, 1e21, 1e20, 999999999999999900000.0, 5e-324, 1e-6, 1e-7))
    if kind == 8:
        return round(sign * 10 ** rng.uniform(-3, 6), rng.randrange(6))
    if kind == 9:
        return sign * 10 ** rng.uniform(-30, 30)
    if kind == 10:
        return float(sign * 10 ** rng.randrange(15, 25))
    return sign * rng.random()


def random_value(rng: random.Random, *, depth: int, lone_surrogates: bool = True) -> Any:
    roll = rng.random()
    if depth <= 0 or roll < 0.45:
        scalar = rng.randrange(10)
        if scalar < 4:
            return random_string(rng, lone_surrogates=lone_surrogates)
        if scalar < 8:
            return random_number(rng)
        return rng.choice((None, True, False))
    if roll < 0.7:
        return [
            random_value(rng, depth=depth - 1, lone_surrogates=lone_surrogates)
            for _ in range(rng.randrange(5))
        ]
    return {
        random_string(rng, lone_surrogates=lone_surrogates, max_len=6): random_value(
            rng, depth=depth - 1, lone_surrogates=lone_surrogates
        )
        for _ in range(rng.randrange(6))
    }


def _non_empty(rng: random.Random, prefix: str, *, lone_surrogates: bool) -> str:
    return prefix + random_string(rng, lone_surrogates=lone_surrogates)


def random_args(rng: random.Random, index: int, *, extras: bool) -> dict[str, Any]:
    """``createSnapshot`` arguments NexArt accepts; with ``extras``, also cerkit's extra
    snapshot fields and parameter keys (NexArt's ``createSnapshot`` would drop those)."""
    lone = rng.random() < 0.3

    def payload() -> Any:
        if rng.random() < 0.4:
            return random_string(rng, lone_surrogates=lone, max_len=40)
        value = random_value(rng, depth=4, lone_surrogates=lone)
        return "x" if value is None else value

    def number() -> int | float:
        return random_number(rng)

    args: dict[str, Any] = {
        "executionId": _non_empty(rng, f"exec-{index}-", lone_surrogates=lone),
        "provider": rng.choice(("openai", "anthropic", "local")),
        "model": _non_empty(rng, "m", lone_surrogates=lone),
        "modelVersion": rng.choice((None, "2026-01-01", random_string(rng, lone_surrogates=lone))),
        "prompt": _non_empty(rng, "p", lone_surrogates=lone),
        "input": payload(),
        "output": payload(),
        "parameters": {
            "temperature": number(),
            "maxTokens": number(),
            "topP": rng.choice((None, number())),
            "seed": rng.choice((None, number())),
        },
        "timestamp": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T00:00:00.000Z",
        "sdkVersion": rng.choice((None, "0.1.0", "9.9.9")),
        "appId": rng.choice((None, "app", random_string(rng, lone_surrogates=lone))),
    }
    for name in ("modelVersion", "sdkVersion", "appId", "timestamp"):
        if rng.random() < 0.2:
            del args[name]
    if extras:
        for _ in range(rng.randrange(4)):
            key = "x" + random_string(rng, lone_surrogates=lone, max_len=5)
            args[key] = random_value(rng, depth=3, lone_surrogates=lone)
        if rng.random() < 0.5:
            args["parameters"]["frequencyPenalty"] = number()
        if rng.random() < 0.3:
            args["workflowId"] = "wf"
            args["stepIndex"] = rng.randrange(5)
    return args
