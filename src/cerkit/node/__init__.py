"""cerkit.node."""
