"""catalog tasks."""
