"""The data-quality report per site: completeness, soft-range values, failing checks, open queries."""
