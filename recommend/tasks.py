"""recommend tasks."""
