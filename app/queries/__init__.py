"""Data queries: questions on a field, opened by warning-level checks or by monitors, answered by sites."""
