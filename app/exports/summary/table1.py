"""Table 1: the cohort described by a grouping variable.

Numeric variables: n, median and interquartile range (linear interpolation, R's default type 7).
Coded variables: n (%) per code, percentages of the patients with a value; a multiple choice shows
its checked count per code. Missing-data codes and blanks are counted together as "missing".

Small cells (`min_cell`): a count from 1 to min_cell - 1 is shown as `<min_cell` with no percentage;
when that leaves a single suppressed count in a variable's column, the next smallest is suppressed too
so that it cannot be recovered by subtraction; a median and IQR from fewer than min_cell values, and
every statistic of a group smaller than min_cell, are suppressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from app.exports.columns import Column, Kind, Role
from app.forms.labels import label_in

OVERALL = "__overall__"
UNGROUPED = "__ungrouped__"


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    n: int
    shown_n: str


@dataclass
class Line:
    variable: str
    label: str
    level: str  # "" for the variable's own line
    level_label: str
    cells: dict[str, str] = field(default_factory=dict)  # group key -> text


def _small(count: int, min_cell: int) -> bool:
    return 0 < count < min_cell


def count_text(count: int, min_cell: int) -> str:
    return f"<{min_cell}" if _small(count, min_cell) else str(count)


def groups_of(
    frame: pl.DataFrame, by: Column | None, lang: str, min_cell: int, overall: str, ungrouped: str
) -> list[Group]:
    """Everyone, then one group per code of `by`, then (if any) the patients `by` leaves out: blank or
    a missing-data code. Without that last column a reader cannot tell the groups from the total."""
    groups = [Group(OVERALL, overall, frame.height, str(frame.height))]
    if by is None:
        return groups
    for code, labels in by.codes:
        n = frame.filter(pl.col(by.name) == str(code)).height
        groups.append(Group(str(code), label_in(labels, lang), n, count_text(n, min_cell)))
    rest = frame.filter(_ungrouped(by)).height
    if rest:
        groups.append(Group(UNGROUPED, ungrouped, rest, count_text(rest, min_cell)))
    return groups


def _ungrouped(by: Column) -> pl.Expr:
    return pl.col(by.name).is_null() | ~pl.col(by.name).is_in([str(code) for code, _ in by.codes])


def in_group(group: Group, by: Column | None, value: str | None) -> bool:
    """Whether a patient whose `by` value is `value` belongs to `group`."""
    if by is None or group.key == OVERALL:
        return True
    if group.key == UNGROUPED:
        return value is None or value not in {str(code) for code, _ in by.codes}
    return value == group.key


def _members(frame: pl.DataFrame, by: Column | None, group: Group) -> pl.DataFrame:
    if by is None or group.key == OVERALL:
        return frame
    if group.key == UNGROUPED:
        return frame.filter(_ungrouped(by))
    return frame.filter(pl.col(by.name) == group.key)


def numeric_lines(
    frame: pl.DataFrame, column: Column, groups: list[Group], by: Column | None, min_cell: int, lang: str
) -> list[Line]:
    label = label_in(column.label, lang) + (f" ({column.units})" if column.units else "")
    line = Line(column.name, label, "", "median [IQR]")
    missing = Line(column.name, label, "missing", "missing")
    for group in groups:
        values = _members(frame, by, group)[column.name].cast(pl.Float64, strict=False).drop_nulls()
        n = values.len()
        if _small(group.n, min_cell) or n < max(min_cell, 1):
            line.cells[group.key] = f"n={count_text(n, min_cell)}" if n else "–"
        else:
            q1, median, q3 = (values.quantile(q, interpolation="linear") for q in (0.25, 0.5, 0.75))
            line.cells[group.key] = f"{median:.4g} [{q1:.4g}–{q3:.4g}] (n={n})"
        missing.cells[group.key] = count_text(group.n - n, min_cell)
    return [line, missing]


def coded_lines(
    frame: pl.DataFrame, column: Column, groups: list[Group], by: Column | None, min_cell: int, lang: str
) -> list[Line]:
    label = label_in(column.label, lang)
    codes = [(str(code), labels) for code, labels in column.codes]
    if column.role == Role.checkbox:
        codes = [c for c in codes if c[0] == "1"]
    lines = [Line(column.name, label, code, label_in(labels, lang)) for code, labels in codes]
    missing = Line(column.name, label, "missing", "missing")
    for group in groups:
        cells = _members(frame, by, group)[column.name]
        known = int(cells.is_in([str(code) for code, _ in column.codes]).sum())
        counts = [int((cells == code).sum()) for code, _ in codes]
        hidden = [_small(c, min_cell) for c in counts]
        if sum(hidden) == 1 and min_cell:
            others = [(c, i) for i, c in enumerate(counts) if not hidden[i] and c > 0]
            if others:
                hidden[min(others)[1]] = True
        whole_group = _small(group.n, min_cell)
        for line, count, secret in zip(lines, counts, hidden, strict=True):
            if whole_group or secret:
                line.cells[group.key] = f"<{min_cell}" if count or whole_group else "0"
            else:
                share = f" ({100 * count / known:.1f}%)" if known else ""
                line.cells[group.key] = f"{count}{share}"
        missing.cells[group.key] = count_text(group.n - known, min_cell)
    return [*lines, missing]


def table_one(
    frame: pl.DataFrame,
    columns: list[Column],
    by: Column | None,
    lang: str,
    min_cell: int,
    overall: str,
    ungrouped: str = "",
) -> tuple[list[Group], list[Line]]:
    """The groups (everyone first) and the lines of Table 1 for `columns` of the patients table."""
    groups = groups_of(frame, by, lang, min_cell, overall, ungrouped)
    lines: list[Line] = []
    for column in columns:
        if column.codes:
            lines += coded_lines(frame, column, groups, by, min_cell, lang)
        elif column.kind in (Kind.integer, Kind.decimal):
            lines += numeric_lines(frame, column, groups, by, min_cell, lang)
    return groups, lines
