"""catalog selectors."""
