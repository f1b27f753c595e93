"""Participating sites: declared in the study definition, mirrored in the database."""
