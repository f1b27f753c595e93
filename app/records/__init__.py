"""Pseudonymous patients and their form data: the one write path every entry point uses."""
