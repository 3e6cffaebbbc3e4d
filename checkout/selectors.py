"""checkout selectors."""
