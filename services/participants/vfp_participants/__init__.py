"""The participants service."""
