"""Who hears what, by which channel and when: plain Python, no I/O, time passed in."""
