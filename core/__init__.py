"""Shared helpers below every app: no models, no app imports."""
