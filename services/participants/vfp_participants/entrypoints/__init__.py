"""Entry points: bus handlers and the HTTP API (thin: parse, build a command, call a handler)."""
