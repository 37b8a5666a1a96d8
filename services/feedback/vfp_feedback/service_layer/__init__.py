"""Handlers: each takes a unit of work and a command or event, and calls the domain."""
