"""recommend views."""
