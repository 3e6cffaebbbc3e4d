"""recommend admin."""
