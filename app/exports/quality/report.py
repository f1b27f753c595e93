"""The data-quality report, per site, from the stored data as the engine sees it today.

- Completeness per form and field: of the form instances where the field is asked (its `show_if`
  holds; a once-form a patient lacks counts as an instance with nothing entered), how many hold a
  value and how many a missing-data code. For once-forms an instance is a patient.
- Findings: every stored instance is validated again with the rest of the patient, so values outside
  expected ranges and failing checks (the form's own and cross-form rules) are listed, warnings and
  errors alike (an error here means data saved under an earlier definition no longer passes).
- Open queries (open or answered) and their age in days.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.core.errors import Forbidden
from app.exports.loading import INSTANCE, PK, load, scoped_records
from app.exports.options import BadOption
from app.exports.service import paused_gc
from app.forms.engine import Issue, PatientData, patient_view, validate
from app.forms.expr.runtime import MissingValue, Values
from app.forms.labels import label_in
from app.forms.model import CForm, CompiledStudy
from app.forms.stored import from_stored
from app.models import DataQuery

OPEN_STATES = ("open", "answered")
Stored = dict[str, str]


@dataclass
class Completeness:
    site: str
    form: str
    field: str
    expected: int = 0
    filled: int = 0
    coded: int = 0  # a missing-data code instead of a value

    @property
    def share(self) -> float:
        return self.filled / self.expected if self.expected else 1.0


@dataclass(frozen=True)
class Finding:
    site: str
    record_id: str
    form: str
    instance: int
    field: str
    kind: str  # soft_range or check
    severity: str
    code: str
    value: str
    message: str


@dataclass(frozen=True)
class OpenQuery:
    site: str
    record_id: str
    form: str
    instance: int
    field: str
    status: str
    code: str
    opened_at: datetime
    age_days: int


@dataclass
class QualityReport:
    study: CompiledStudy
    lang: str
    generated_at: datetime
    patients: dict[str, int]
    completeness: list[Completeness] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    queries: list[OpenQuery] = field(default_factory=list)
    tallies: dict[tuple[str, str, str], Completeness] = field(default_factory=dict, repr=False)

    def tally(self, site: str, form: str, name: str) -> Completeness:
        key = (site, form, name)
        if key not in self.tallies:
            self.tallies[key] = Completeness(site, form, name)
        return self.tallies[key]

    def order_completeness(self) -> None:
        """Completeness by site, then form and field in the definition's order."""
        self.completeness = [
            self.tallies[(site, cform.name, cfield.name)]
            for site in self.patients
            for cform in self.study.forms.values()
            for cfield in cform.inputs
            if (site, cform.name, cfield.name) in self.tallies
        ]


def check_sites(study: CompiledStudy, actor: Actor, sites: Sequence[str]) -> tuple[str, ...]:
    known = [s.code for s in study.spec.sites]
    for code in sites:
        if code not in known:
            raise BadOption(f"unknown site '{code}' (sites: {', '.join(known)})")
        if actor.is_site_bound and code != actor.site_code:
            raise Forbidden(f"you see the data of {actor.site_code} only, not of {code}")
    return tuple(sites)


def _patient(study: CompiledStudy, stored: dict[tuple[str, int], Stored]) -> PatientData:
    data = PatientData()
    for (form, number), values in stored.items():
        typed = from_stored(study.forms[form], values)
        if study.forms[form].repeating:
            data.repeating.setdefault(form, {})[number] = typed
        else:
            data.once[form] = typed
    return data


def _count(
    report: QualityReport, site: str, cform: CForm, values: Values, data: PatientData, number: int
) -> None:
    view = patient_view(cform, values, data, number)
    for cfield in cform.inputs:
        tally = report.tally(site, cform.name, cfield.name)
        if cfield.show_if is not None and cfield.show_if.fn(values, view, values) is not True:
            continue
        tally.expected += 1
        value = values.get(cfield.name)
        if isinstance(value, MissingValue):
            tally.coded += 1
        elif value is not None:
            tally.filled += 1


def _findings(
    report: QualityReport, site: str, record_id: str, issues: list[Issue], seen: set[object]
) -> None:
    """Each issue once; a patient-level rule is reported for the patient, not for each form it reads."""
    patient_rules = {f"rule:{rule.spec.name}" for rule in report.study.rules}
    for issue in issues:
        patient_level = issue.code in patient_rules
        form, instance = ("", 0) if patient_level else (issue.form or "", issue.instance or 1)
        key = (form, instance, issue.field, issue.code)
        if key in seen:
            continue
        seen.add(key)
        report.findings.append(
            Finding(
                site,
                record_id,
                form,
                instance,
                issue.field or "",
                "soft_range" if issue.code == "soft_range" else "check",
                issue.severity.value,
                issue.code.removeprefix("rule:"),
                "" if issue.value is None else str(issue.value),
                label_in(issue.message, report.lang),
            )
        )


def _stored_by_patient(frames: dict[str, pl.DataFrame]) -> dict[int, dict[tuple[str, int], Stored]]:
    found: dict[int, dict[tuple[str, int], Stored]] = {}
    for form, frame in frames.items():
        for row in frame.iter_rows(named=True):
            pk, number = row.pop(PK), row.pop(INSTANCE)
            found.setdefault(pk, {})[(form, number)] = {k: v for k, v in row.items() if v is not None}
    return found


def _check_patient(
    report: QualityReport, site: str, record_id: str, stored: dict[tuple[str, int], Stored]
) -> None:
    study = report.study
    data = _patient(study, stored)
    seen: set[object] = set()
    for cform in study.forms.values():
        if cform.repeating:
            saved_instances = data.repeating.get(cform.name, {})
            instances = [(n, saved_instances[n]) for n in sorted(saved_instances)]
        else:
            instances = [(1, data.once.get(cform.name, {}))]
        for number, values in instances:
            saved = stored.get((cform.name, number))
            _count(report, site, cform, values, data, number)
            if saved is None:
                continue
            raw = {k: v for k, v in saved.items() if k in cform.fields and cform.fields[k].is_input}
            result = validate(study, cform.name, raw, patient=data, instance=number)
            _findings(report, site, record_id, result.issues, seen)


def _open_queries(session: Session, actor: Actor, sites: Sequence[str], now: datetime) -> list[OpenQuery]:
    records = scoped_records(actor, sites).subquery()
    query = (
        select(DataQuery, records.c.record_id, records.c.code)
        .join(records, DataQuery.record_pk == records.c.id)
        .where(DataQuery.status.in_(OPEN_STATES))
        .order_by(records.c.code, records.c.record_id, DataQuery.id)
    )
    return [
        OpenQuery(
            site,
            record_id,
            q.form,
            q.instance,
            q.field or "",
            q.status,
            q.code or "",
            q.opened_at,
            (now - q.opened_at).days,
        )
        for q, record_id, site in session.execute(query)
    ]


def quality_report(
    session: Session, study: CompiledStudy, actor: Actor, sites: Sequence[str], lang: str | None = None
) -> QualityReport:
    """The report for the sites asked for (default: every site the actor sees), for pages, CSV or HTML."""
    chosen = check_sites(study, actor, sites)
    loaded = load(session, study, actor, chosen, None)
    now = datetime.now(UTC)
    counts = dict(loaded.patients.group_by("site").len().iter_rows())
    ordered = {s.code: counts[s.code] for s in study.spec.sites if s.code in counts}
    report = QualityReport(study, lang or actor.language or study.spec.languages[0], now, ordered)
    stored = _stored_by_patient(loaded.forms)
    order = {code: i for i, code in enumerate(ordered)}
    with paused_gc():
        for pk, record_id, site in sorted(loaded.patients.iter_rows(), key=lambda p: (order[p[2]], p[1])):
            _check_patient(report, site, record_id, stored.get(pk, {}))
    report.order_completeness()
    report.queries = _open_queries(session, actor, chosen, now)
    return report
