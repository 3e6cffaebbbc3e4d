"""recommend selectors."""
