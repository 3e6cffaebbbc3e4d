"""checkout admin."""
