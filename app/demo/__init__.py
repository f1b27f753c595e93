"""Synthetic demo data made from the study definition alone (no study variable is named in code)."""
