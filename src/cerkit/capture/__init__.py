"""cerkit.capture."""
