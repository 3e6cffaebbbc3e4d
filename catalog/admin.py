"""catalog admin."""
