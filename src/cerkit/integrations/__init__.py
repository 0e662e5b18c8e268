"""cerkit.integrations."""
