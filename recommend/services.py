"""recommend services."""
