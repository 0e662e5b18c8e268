"""Plugins every test folder may use: ``pytester`` runs pytest in a subprocess (the golden-record
plugin's tests, tests/drift/test_golden_plugin.py)."""

pytest_plugins = ["pytester"]
