"""The pseudonymisation step, start to end: profile, key, extract, per-patient rows, guard, files.

Nothing is written until everything has been read, converted and checked; then the upload file and
the linkage file are written next to their final paths and moved into place.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.forms.model import CompiledStudy
from app.pseudonymise import canonical
from app.pseudonymise.compile import build_plan
from app.pseudonymise.errors import ExtractError, IdentifierFound, PseudonymiseError
from app.pseudonymise.guard import Known, find_identifiers
from app.pseudonymise.keys import pseudonym, read_key
from app.pseudonymise.patients import Collector, Patient
from app.pseudonymise.profile import load_profile
from app.pseudonymise.sources import Meter, NoMeter, read_extract

LINKAGE_SUFFIX = ".linkage-KEEP-AT-SITE.csv"


@dataclass(frozen=True)
class Summary:
    site: str
    patients: int
    rows: dict[str, int]  # "once-forms" (one row per patient) and each repeating form
    out: Path
    linkage: Path


def default_linkage(out: Path) -> Path:
    return out.with_name(out.stem + LINKAGE_SUFFIX)


def pseudonymise(
    extract: Path,
    profile_path: Path,
    key_file: Path,
    out: Path,
    study: CompiledStudy,
    linkage: Path | None = None,
    meter: Meter | None = None,
) -> Summary:
    """Write the canonical upload file and the local linkage file, or raise and write nothing."""
    linkage = linkage or default_linkage(out)
    _check_paths(extract, out, linkage, key_file)
    plan = build_plan(load_profile(profile_path), study)
    key = read_key(key_file)
    known = Known()
    collector = Collector(plan, known)
    for row in read_extract(extract, plan, meter or NoMeter()):
        collector.add(row)
    patients = sorted(((pseudonym(key, p.mrn), p) for p in collector.finish()), key=lambda item: item[0])
    _check_unique(patients)
    names = canonical.header(study)
    site = plan.profile.site
    rows = [row for code, p in patients for row in canonical.patient_rows(study, site, code, p, names)]
    findings = find_identifiers(canonical.out_cells(study, rows), known, plan.mrn_pattern)
    if findings:
        raise IdentifierFound(findings)
    links = "site_pseudonym,mrn\n" + "".join(f"{code},{_csv_cell(p.mrn)}\n" for code, p in patients)
    _write_both((out, canonical.csv_text(names, rows)), (linkage, links))
    counts = {"once-forms": len(patients)}
    for cform in study.forms.values():
        if cform.repeating:
            counts[cform.name] = sum(len(p.repeating.get(cform.name, [])) for _, p in patients)
    return Summary(site, len(patients), counts, out, linkage)


def _check_paths(extract: Path, out: Path, linkage: Path, key_file: Path) -> None:
    resolved = [p.resolve() for p in (extract, out, linkage, key_file)]
    if len(set(resolved)) < 4:
        raise PseudonymiseError(
            ["the extract, the output, the linkage file and the key file must be four different files"]
        )
    for path in (out, linkage):
        if not path.parent.is_dir():
            raise PseudonymiseError([f"{path}: the folder {path.parent} does not exist"])


def _check_unique(patients: list[tuple[str, Patient]]) -> None:
    repeated = len(patients) - len({code for code, _ in patients})
    if repeated:
        raise ExtractError([f"{repeated} MRN(s) appear under two patient keys: one row per patient"])


def _csv_cell(text: str) -> str:
    return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n') else text


def _write_both(*files: tuple[Path, str]) -> None:
    """Write every file to a temporary name in its folder, then move them all into place."""
    temporary: list[tuple[str, Path]] = []
    try:
        for path, text in files:
            descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            temporary.append((name, path))
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(text.encode("utf-8"))
        for name, path in temporary:
            os.replace(name, path)
    finally:
        for name, _ in temporary:
            if os.path.exists(name):
                os.unlink(name)
