"""Bulk upload of site extracts in REDCap's flat format, through the same write path as every entry."""
