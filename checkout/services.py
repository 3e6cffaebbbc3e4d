"""checkout services."""
