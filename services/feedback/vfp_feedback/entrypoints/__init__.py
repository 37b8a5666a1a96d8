"""Thin entry points: bus handlers and HTTP routes."""
