"""The cohort summary (coordinators): Table 1 by a grouping variable and a cumulative incidence curve.

Built from the same snapshot as an export (same scope, filters and top-coding), so the summary always
agrees with the dataset. Every variable is named by the caller or by the definition; none in code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.exports.columns import Column, Kind, Role
from app.exports.options import BadOption, ExportOptions, checked
from app.exports.service import paused_gc, require_coordinator
from app.exports.snapshot import take_snapshot
from app.exports.summary.incidence import Curve, aalen_johansen, patient_time, svg
from app.exports.summary.table1 import Group, Line, complement, hidden_text, in_group, small, table_one
from app.forms.labels import label_in
from app.forms.model import CompiledStudy

BY_SETTING = "summary_by"  # a study setting naming the default grouping variable
# Study settings naming the default cumulative incidence: the option each fills, and its setting.
INCIDENCE_SETTINGS = {
    "event": "summary_event",
    "event_time": "summary_event_time",
    "competing": "summary_competing",
    "competing_time": "summary_competing_time",
    "censor_time": "summary_censor_time",
}
WORDS = {
    "en": {"overall": "All patients", "day": "Study day", "ungrouped": "{name}: not recorded"},
    "es": {"overall": "Todos", "day": "Día de estudio", "ungrouped": "{name}: sin dato"},
}


@dataclass(frozen=True)
class SummaryOptions:
    by: str | None = None
    variables: tuple[str, ...] = ()
    event: str | None = None
    competing: str | None = None
    event_time: str | None = None
    competing_time: str | None = None
    censor_time: str | None = None
    days: tuple[int, ...] = (28, 60)
    min_cell: int = 0
    sites: tuple[str, ...] = ()
    status: str | None = None
    lang: str | None = None
    top_code: Mapping[str, Decimal | None] = field(default_factory=dict)  # as ExportOptions.top_code
    study_top_codes: bool = True
    # Without an event of its own, the summary reports the one the study's settings name.
    study_incidence: bool = True


@dataclass(frozen=True)
class IncidenceAt:
    group: str
    day: int
    incidence: str
    at_risk: str
    events: str
    key: str = ""  # the group's key, as Group.key


@dataclass
class CohortSummary:
    study: CompiledStudy
    lang: str
    options: SummaryOptions
    generated_at: datetime
    by: Column | None
    groups: list[Group]
    lines: list[Line]
    curves: list[Curve] = field(default_factory=list)
    incidence: list[IncidenceAt] = field(default_factory=list)
    excluded: int = 0  # patients left out of the incidence for want of a time
    chart: str = ""


def _column(columns: dict[str, Column], name: str, option: str) -> Column:
    if name not in columns:
        raise BadOption.of(option, f"the patients table has no variable '{name}'")
    return columns[name]


def _variables(columns: dict[str, Column], options: SummaryOptions, by: Column | None) -> list[Column]:
    if not options.variables:
        wanted = (Role.input, Role.calc, Role.checkbox, Role.derived)
        return [c for c in columns.values() if c.role in wanted and c is not by and (c.codes or c.numeric)]
    chosen: list[Column] = []
    for name in options.variables:
        boxes = [c for c in columns.values() if c.role == Role.checkbox and c.source == name]
        chosen += boxes or [_column(columns, name, "--vars")]
    return chosen


def _number(frame: pl.DataFrame, column: Column | None) -> list[float | None]:
    if column is None:
        return [None] * frame.height
    return frame[column.name].cast(pl.Float64, strict=False).to_list()


def _incidence(summary: CohortSummary, frame: pl.DataFrame, columns: dict[str, Column]) -> None:
    o = summary.options
    if o.event is None:
        return
    if o.event_time is None or o.censor_time is None or (o.competing and o.competing_time is None):
        problem = "needs --event-time and --censor-time (and --competing-time with --competing)"
        raise BadOption(f"--event {problem}", option="--event", problem=problem)
    names = (o.event, o.competing, o.event_time, o.competing_time, o.censor_time)
    used = [_column(columns, n, "--event") if n else None for n in names]
    times = [patient_time(*values) for values in zip(*(_number(frame, c) for c in used), strict=True)]
    summary.excluded = sum(1 for t in times if t is None)
    keys = frame[summary.by.name].to_list() if summary.by else [None] * frame.height
    for group in summary.groups:
        observed = [t for t, k in zip(times, keys, strict=True) if t and in_group(group, summary.by, k)]
        curve = Curve(group.key, group.label, len(observed), aalen_johansen(observed))
        # A group whose size Table 1 hides shows no curve either: its numbers at risk would tell it.
        curve.shown = not group.suppressed and not small(curve.n, o.min_cell)
        summary.curves.append(curve)
    # The groups' numbers at risk and events add up to everyone's (the first curve): a single hidden
    # one would be recoverable, so the next smallest is hidden with it, as in Table 1.
    at = {day: [curve.at(day) for curve in summary.curves] for day in o.days}
    at_risk = {day: hidden_counts([a[1] for a in at[day]], summary.curves, o.min_cell) for day in o.days}
    events = {day: hidden_counts([a[2] for a in at[day]], summary.curves, o.min_cell) for day in o.days}
    for g, (group, curve) in enumerate(zip(summary.groups, summary.curves, strict=True)):
        for day in o.days:
            incidence, risk, event = at[day][g]
            summary.incidence.append(
                IncidenceAt(
                    curve.label,
                    day,
                    "suppressed" if events[day][g] else f"{100 * incidence:.1f}%",
                    _text(risk, group, curve, at_risk[day][g], o.min_cell),
                    _text(event, group, curve, events[day][g], o.min_cell),
                    curve.key,
                )
            )
    for g, curve in enumerate(summary.curves):
        # A curve's steps are its events over its numbers at risk: drawn where the table hides
        # either, it would show what the table hides.
        if any(events[day][g] or at_risk[day][g] for day in o.days):
            curve.shown = False
    title = label_in(columns[o.event].label, summary.lang)
    words = WORDS.get(summary.lang, WORDS["en"])
    summary.chart = svg(summary.curves, o.days, title, words["day"])


def hidden_counts(counts: list[int], curves: list[Curve], min_cell: int) -> list[bool]:
    """Which of the groups' counts to hide: the small ones, every one of a hidden curve, and a
    complement across the groups (the first count, everyone's, is their total and stays shown)."""
    hidden = [not c.shown or small(n, min_cell) for n, c in zip(counts, curves, strict=True)]
    if not min_cell:
        return hidden
    return hidden[:1] + complement(counts[1:], hidden[1:], min_cell)


def _text(count: int, group: Group, curve: Curve, hidden: bool, min_cell: int) -> str:
    """A hidden curve's counts all show one mark (its group's, or that of its size), so that none of
    them gives anything away."""
    if not hidden:
        return str(count)
    if group.suppressed:
        return group.shown_n
    return hidden_text(count if curve.shown else curve.n, min_cell)


def with_study_incidence(study: CompiledStudy, options: SummaryOptions) -> SummaryOptions:
    """`options`, with the incidence the study's settings name if it asks for none of its own."""
    if options.event is not None or not options.study_incidence:
        return options

    def named(option: str) -> str | None:
        value = study.setting(INCIDENCE_SETTINGS[option])
        return value if isinstance(value, str) else None

    # What the coordinator did give (a censoring day of their own, say) stands.
    return replace(
        options,
        event=named("event"),
        event_time=options.event_time or named("event_time"),
        competing=options.competing or named("competing"),
        competing_time=options.competing_time or named("competing_time"),
        censor_time=options.censor_time or named("censor_time"),
    )


def cohort_summary(
    session: Session, study: CompiledStudy, actor: Actor, options: SummaryOptions
) -> CohortSummary:
    """Table 1 and, with `event`, the cumulative incidence: for pages, or `write_summary` for files."""
    require_coordinator(actor)
    options = with_study_incidence(study, options)
    export = checked(
        study,
        ExportOptions(
            out=Path("."),
            formats=("csv",),
            sites=options.sites,
            status=options.status,
            lang=options.lang,
            top_code=options.top_code,
            study_top_codes=options.study_top_codes,
        ),
    )
    lang = export.lang or study.spec.languages[0]
    with paused_gc():
        patients = take_snapshot(session, study, actor, export).patients
    columns = {c.name: c for c in patients.spec.columns}
    setting = study.setting(BY_SETTING)
    by_name = options.by or (setting if isinstance(setting, str) else None)
    by = _column(columns, by_name, "--by") if by_name else None
    if by is not None and (not by.codes or by.kind != Kind.integer and by.kind != Kind.text):
        raise BadOption.of("--by", f"'{by.name}' is not a coded variable")
    words = WORDS.get(lang, WORDS["en"])
    ungrouped = words["ungrouped"].format(name=label_in(by.label, lang)) if by is not None else ""
    chosen = _variables(columns, options, by)
    groups, lines = table_one(patients.frame, chosen, by, lang, options.min_cell, words["overall"], ungrouped)
    summary = CohortSummary(study, lang, options, datetime.now(UTC), by, groups, lines)
    _incidence(summary, patients.frame, columns)
    return summary
