"""Adapters: tables, the candidate repository and the do-not-contact list."""
