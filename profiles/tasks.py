"""profiles tasks."""
