"""``cerkit demo``: seal a record, verify it, tamper with it and show the failing report."""

from __future__ import annotations

import argparse
import copy

from cerkit.cli._common import EXIT_OK
from cerkit.cli.verify import render
from cerkit.seal import seal_args
from cerkit.verify import verify_bundle

NAME = "demo"
HELP = "walk through sealing, verifying and detecting tampering"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    del parser


def run(args: argparse.Namespace) -> int:
    bundle = seal_args(
        {
            "executionId": "demo-1",
            "provider": "openai",
            "model": "gpt-4o",
            "prompt": "You are a careful assistant.",
            "input": "What is the capital of France?",
            "output": "Paris.",
            "parameters": {"temperature": 0.2, "maxTokens": 64},
        }
    )
    print(f"sealed   {bundle['certificateHash']}")
    print(render(verify_bundle(bundle, source="demo record")))
    tampered = copy.deepcopy(bundle)
    tampered["snapshot"]["output"] = "Lyon."
    print("tampered: output changed to 'Lyon.'")
    print(render(verify_bundle(tampered, source="tampered record")))
    return EXIT_OK
