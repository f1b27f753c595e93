"""Table 1: the cohort described by a grouping variable.

Numeric variables: n, median and interquartile range (linear interpolation, R's default type 7), to
two decimals at most. Coded variables: n (%) per code, percentages of the patients with a value
(none in a group whose missing count is hidden, which they would give away); a multiple choice
shows its checked count per code. Missing-data codes and blanks are counted together as "missing".

Small cells (`min_cell`): a count from 1 to min_cell - 1 is shown as `<min_cell` with no percentage.
A suppressed count must not be recoverable by subtraction, down a group's column (the codes and
"missing" add up to the group) or across the groups (they add up to everyone: the group sizes, and
each code's counts): wherever a single count of such a sum is suppressed, the next smallest is
suppressed too, until no sum has exactly one. Such a complement is shown as `*`: it is not small,
and `<min_cell` would misstate it. A median and IQR from fewer than min_cell values, and every
statistic of a group whose size is hidden, are suppressed; every count of such a group, a zero
included, shows what its size shows, since a zero shown there could complete a subtraction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from app.exports.columns import Column, Kind, Role
from app.forms.labels import label_in

OVERALL = "__overall__"
# What the page shows for a numeric variable's line and for the missing line, in each language.
LEVELS = {
    "en": {"median": "median [IQR]", "missing": "missing"},
    "es": {"median": "mediana [RIC]", "missing": "ausente"},
}
UNGROUPED = "__ungrouped__"


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    n: int
    shown_n: str

    @property
    def suppressed(self) -> bool:
        """Its size is hidden (small, or a complement): so is every count of it."""
        return self.shown_n != str(self.n)


@dataclass
class Line:
    variable: str
    label: str
    level: str  # "" for the variable's own line
    level_label: str
    cells: dict[str, str] = field(default_factory=dict)  # group key -> text


def small(count: int, min_cell: int) -> bool:
    return 0 < count < min_cell


def count_text(count: int, min_cell: int) -> str:
    return f"<{min_cell}" if small(count, min_cell) else str(count)


COMPLEMENT = "*"


def number_text(value: float | None) -> str:
    """A median or quartile as a reader writes it: 10500, 2021.5, 0.0345; never 1.05e+04, and not
    rounded to four figures (2021.5 is not 2022)."""
    if value is None:
        return "–"
    if value != 0 and abs(value) < 1:
        return f"{value:.3g}" if abs(value) >= 1e-4 else f"{value:.2e}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def hidden_text(count: int, min_cell: int) -> str:
    """A hidden count: `<min_cell` if it is small, `*` if it is a complement."""
    return f"<{min_cell}" if small(count, min_cell) else COMPLEMENT


def _hidden_text(count: int, group: Group, min_cell: int) -> str:
    """A hidden count in `group`: the group's own mark where its size is hidden (whatever the count,
    so that nothing in it is given away), else as `hidden_text`."""
    return group.shown_n if group.suppressed else hidden_text(count, min_cell)


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
    hidden = complement([g.n for g in groups[1:]], [small(g.n, min_cell) for g in groups[1:]], min_cell)
    return groups[:1] + [
        Group(g.key, g.label, g.n, COMPLEMENT if secret and not small(g.n, min_cell) else g.shown_n)
        for g, secret in zip(groups[1:], hidden, strict=True)
    ]


def complement(counts: list[int], hidden: list[bool], min_cell: int) -> list[bool]:
    """`hidden` with, if exactly one of `counts` is hidden, the next smallest non-zero one too: the
    counts add up to a total that is shown."""
    if not min_cell or sum(hidden) != 1:
        return hidden
    others = [(c, i) for i, c in enumerate(counts) if not hidden[i] and c > 0]
    if not others:
        return hidden
    hidden = list(hidden)
    hidden[min(others)[1]] = True
    return hidden


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
    words = LEVELS.get(lang, LEVELS["en"])
    line = Line(column.name, label, "", words["median"])
    missing = Line(column.name, label, "missing", words["missing"])
    values = [
        _members(frame, by, group)[column.name].cast(pl.Float64, strict=False).drop_nulls()
        for group in groups
    ]
    # Rows "with a value" and "missing": each group's two add up to it, and the groups to everyone.
    counts = [[v.len(), group.n - v.len()] for v, group in zip(values, groups, strict=True)]
    hidden = _suppressed(counts, [g.suppressed for g in groups], min_cell)
    for g, group in enumerate(groups):
        n, secret = counts[g][0], hidden[g][0]
        if secret:
            line.cells[group.key] = f"n={_hidden_text(n, group, min_cell)}"
        elif n < max(min_cell, 1):
            line.cells[group.key] = f"n={n}" if n else "–"
        else:
            q1, median, q3 = (values[g].quantile(q, interpolation="linear") for q in (0.25, 0.5, 0.75))
            line.cells[group.key] = f"{number_text(median)} [{number_text(q1)}–{number_text(q3)}] (n={n})"
        missing.cells[group.key] = (
            _hidden_text(counts[g][1], group, min_cell) if hidden[g][1] else str(counts[g][1])
        )
    return [line, missing]


def coded_lines(
    frame: pl.DataFrame, column: Column, groups: list[Group], by: Column | None, min_cell: int, lang: str
) -> list[Line]:
    label = label_in(column.label, lang)
    codes = [(str(code), labels) for code, labels in column.codes]
    if column.role == Role.checkbox:
        codes = [c for c in codes if c[0] == "1"]
    lines = [Line(column.name, label, code, label_in(labels, lang)) for code, labels in codes]
    missing = Line(column.name, label, "missing", LEVELS.get(lang, LEVELS["en"])["missing"])
    # counts[g][r]: group g's count of row r, the codes' rows then "missing" (they add up to the group).
    counts: list[list[int]] = []
    known: list[int] = []
    for group in groups:
        cells = _members(frame, by, group)[column.name]
        known.append(int(cells.is_in([str(code) for code, _ in column.codes]).sum()))
        counts.append([int((cells == code).sum()) for code, _ in codes] + [group.n - known[-1]])
    hidden = _suppressed(counts, [g.suppressed for g in groups], min_cell)
    for g, group in enumerate(groups):
        # A percentage's denominator is the number with a value, the group less its missing: where
        # the missing count is hidden, a percentage would give it away (73 shown as 54.1 %: of 135).
        shares = not hidden[g][-1]
        for line, count, secret in zip([*lines, missing], counts[g], hidden[g], strict=True):
            if secret:
                line.cells[group.key] = _hidden_text(count, group, min_cell)
            elif line is missing:
                line.cells[group.key] = str(count)
            else:
                share = f" ({100 * count / known[g]:.1f}%)" if known[g] and shares else ""
                line.cells[group.key] = f"{count}{share}"
    return [*lines, missing]


def _suppressed(counts: list[list[int]], group_hidden: list[bool], min_cell: int) -> list[list[bool]]:
    """Which counts to hide: the small ones and every count of a hidden group, then complements down
    each group's column and across the groups (the first group is everyone: the row totals), until
    no sum is left with a single hidden count."""
    hidden = [
        [whole or small(c, min_cell) for c in column]
        for column, whole in zip(counts, group_hidden, strict=True)
    ]
    if not min_cell:
        return hidden
    while True:
        before = [list(column) for column in hidden]
        hidden = [complement(column, secret, min_cell) for column, secret in zip(counts, hidden, strict=True)]
        for r in range(len(counts[0]) if counts else 0):
            across = complement([c[r] for c in counts[1:]], [h[r] for h in hidden[1:]], min_cell)
            for g, secret in enumerate(across, start=1):
                hidden[g][r] = secret
        if hidden == before:
            return hidden


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
