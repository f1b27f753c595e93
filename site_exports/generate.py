"""Regenerate the synthetic local extract of every site from its profile (or of the sites named).

    .venv/bin/python -m site_exports.generate [SITE ...]

Each site's patients are made in study terms by `synthetic/cases.py` (seeded, so the same every run),
given invented identifiers (`synthetic/identity.py`), then written the way the site's profile
(`site_exports/SITE.yaml`) says its extract looks, by reading the profile backwards
(`synthetic/local.py`, `synthetic/writers.py`). The outputs are committed; running this again must
leave them byte-identical (tests/pseudonymise/test_site_exports.py checks it).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from app.forms.compile import load_study
from app.forms.model import CompiledStudy
from app.pseudonymise.compile import build_plan
from app.pseudonymise.plan import Plan
from app.pseudonymise.profile import load_profile
from site_exports.synthetic import writers
from site_exports.synthetic.cases import Case, make_cases
from site_exports.synthetic.identity import Identity, make_identity
from site_exports.synthetic.local import LocalWriter
from site_exports.synthetic.sites import SITES

HERE = Path(__file__).resolve().parent
FORMS = HERE.parent / "forms"


def site_plan(site: str, study: CompiledStudy) -> Plan:
    return build_plan(load_profile(HERE / f"{site}.yaml"), study)


def site_patients(site: str, study: CompiledStudy) -> list[tuple[Case, Identity]]:
    """The site's synthetic patients with the identifiers their extract carries."""
    settings = SITES[site]
    rng = random.Random(f"{settings.cases.seed}-identity")
    found = []
    for case in make_cases(study, settings.cases):
        male = case.once["sex"] == 1
        ident = make_identity(
            rng, settings.names, settings.mrn_prefix, settings.mrn_digits, case.number, case.infusion, male
        )
        found.append((case, ident))
    return found


def _rows(site: str, study: CompiledStudy, plan: Plan) -> list[writers.PatientRows]:
    local = LocalWriter(plan, study, SITES[site])
    computed_here = {plan.infusion_year.name, *([plan.age.name] if plan.age else [])}
    once_forms = [name for name, form in study.forms.items() if not form.repeating]
    patients: list[writers.PatientRows] = []
    for case, ident in site_patients(site, study):
        rows: writers.PatientRows = []
        for table in plan.tables:
            instances = [case.once] if table.form is None else case.repeating.get(table.form.name, [])
            for number, values in enumerate(instances, start=1):
                row = {
                    k: v for k, v in local.row(table, values, case, ident).items() if k not in computed_here
                }
                if plan.source.kind == "redcap":
                    row.update(local.computed(table, values))
                    row.update(
                        {
                            f"{form}_complete": "2"
                            for form in ([table.form.name] if table.form else once_forms)
                        }
                    )
                rows.append((table, row, number))
        patients.append(rows)
    return patients


def generate(site: str, study: CompiledStudy, root: Path = HERE) -> Path:
    """Write the site's extract under root/SITE/ and return its path."""
    plan = site_plan(site, study)
    patients = _rows(site, study, plan)
    path = root / site / SITES[site].extract
    path.parent.mkdir(parents=True, exist_ok=True)
    kind, line_end = plan.source.kind, SITES[site].line_end
    if kind == "xlsx":
        writers.write_workbook(path, plan, patients)
    elif kind == "jsonl":
        writers.write_json_lines(path, plan, patients)
    elif kind == "csv_folder":
        writers.write_folder(path, plan, patients, line_end)
    elif kind == "redcap":
        writers.write_redcap(path, plan, study, patients)
    else:
        writers.write_single_csv(path, plan, patients, line_end)
    return path


def main(sites: list[str]) -> None:
    study = load_study(FORMS)
    for site in sites or list(SITES):
        path = generate(site, study)
        print(f"{site}: wrote {path.relative_to(HERE.parent)}")


if __name__ == "__main__":
    main(sys.argv[1:])
