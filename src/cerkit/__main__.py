"""``python -m cerkit``: the same command line as the ``cerkit`` console script."""

from cerkit.cli import run

run()
