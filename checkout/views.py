"""checkout views."""
