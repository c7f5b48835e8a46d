"""Security tests: one file per concern (issue 19)."""
