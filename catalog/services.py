"""catalog services."""
