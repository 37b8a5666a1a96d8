"""The panels service."""
