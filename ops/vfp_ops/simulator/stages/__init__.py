"""The stages of a panel cycle, one module each, sharing one `CycleState`."""
