"""The pseudonymisation step that runs at each site, offline: local extract + site profile -> upload file.

profile.py (YAML shape) -> compile.py (checked against the study) -> plan.py (per-column rules);
sources.py / xlsx.py / jsonl.py read the extract row by row; cells.py converts each cell; patients.py
gathers rows per patient and turns dates into study days; canonical.py lays out REDCap's flat format;
guard.py refuses any identifier left; keys.py makes the pseudonyms; service.py runs it all; cli.py is
`edc pseudonymise`. Site profiles and synthetic extracts live in site_exports/ (see its README).
"""
