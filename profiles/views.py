"""profiles views."""
