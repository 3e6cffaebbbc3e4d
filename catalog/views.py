"""catalog views."""
