"""The feedback domain: plain Python, no I/O; time is passed in."""
