"""cerkit.drift."""
