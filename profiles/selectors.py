"""profiles selectors."""
