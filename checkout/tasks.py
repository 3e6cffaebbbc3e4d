"""checkout tasks."""
