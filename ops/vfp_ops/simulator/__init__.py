"""The simulator: a seeded force feed and a whole panel cycle driven against the platform."""
