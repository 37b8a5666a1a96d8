"""The participants domain: screening rules and the candidate's lifecycle (plain Python)."""
