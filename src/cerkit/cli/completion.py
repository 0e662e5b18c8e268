"""``cerkit completion bash|zsh``: a shell completion script, generated from the parser.

The script is written by shtab from the same argparse parser the CLI runs, so every verb,
action and flag completes as it exists in this version; file arguments complete file names.

    eval "$(cerkit completion bash)"                      # this shell
    cerkit completion bash > ~/.local/share/bash-completion/completions/cerkit
    cerkit completion zsh > "${fpath[1]}/_cerkit"         # then: autoload -U compinit; compinit
"""

from __future__ import annotations

import argparse
import sys
from typing import Final

from cerkit.cli._common import EXIT_OK

NAME = "completion"
HELP = "print a bash or zsh completion script (eval it, or save it where your shell looks)"

SHELLS: Final[tuple[str, ...]] = ("bash", "zsh")
#: Metavars that name a file or a folder: those arguments complete paths.
_FILE_METAVARS: Final[frozenset[str]] = frozenset(
    {"FILE", "RECORD", "OPENINGS", "A", "B", "OUT", "PATH"}
)
_DIR_METAVARS: Final[frozenset[str]] = frozenset({"DIR"})


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=SHELLS, help="the shell to complete for")


def _mark_paths(parser: argparse.ArgumentParser) -> None:
    """Tell shtab which arguments take a file or a folder, in every sub-parser."""
    import shtab

    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                _mark_paths(sub)
        elif isinstance(action.metavar, str) and action.metavar in _FILE_METAVARS:
            action.complete = shtab.FILE  # type: ignore[attr-defined]
        elif isinstance(action.metavar, str) and action.metavar in _DIR_METAVARS:
            action.complete = shtab.DIRECTORY  # type: ignore[attr-defined]


def run(args: argparse.Namespace) -> int:
    import shtab

    from cerkit.cli import build_parser

    parser = build_parser()
    _mark_paths(parser)
    sys.stdout.write(shtab.complete(parser, shell=args.shell))
    return EXIT_OK
