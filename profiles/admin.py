"""profiles admin."""
