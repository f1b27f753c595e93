"""The cohort summary: a Table 1 by a grouping variable and a cumulative incidence curve."""
