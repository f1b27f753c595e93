"""Multi-site clinical data-collection platform."""
