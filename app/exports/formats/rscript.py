"""`study.R`: base R that reads the CSV files and applies variable labels and factor levels.

Every column is read as text first (with `na.strings = ""`, so that the missing-data code "NA" is not
mistaken for R's NA); cells holding a missing-data code are listed in `<table>_missing` and then
become NA; coded variables become factors with the codebook's labels; numbers become numeric.
"""

from __future__ import annotations

from pathlib import Path

from app.exports.columns import Column, Kind, Role
from app.exports.plan import Plan
from app.exports.snapshot import Table
from app.forms.labels import label_in

PRELUDE = """\
# Read with: source("study.R", encoding = "UTF-8"); set edc_dir first to read from another folder.
edc_dir <- if (exists("edc_dir")) edc_dir else "."
edc_missing_codes <- c({codes})
edc_read <- function(file) {{
  utils::read.csv(file.path(edc_dir, file), colClasses = "character", na.strings = "",
                  encoding = "UTF-8", check.names = FALSE)
}}
# One row per cell holding a missing-data code: the keys, the variable and the code.
edc_codes <- function(d, keys) {{
  found <- list()
  for (v in setdiff(names(d), keys)) {{
    hit <- !is.na(d[[v]]) & d[[v]] %in% edc_missing_codes
    if (any(hit)) found[[v]] <- data.frame(d[hit, keys, drop = FALSE], variable = v, code = d[[v]][hit])
  }}
  if (length(found)) do.call(rbind, c(unname(found), make.row.names = FALSE)) else NULL
}}
edc_blank <- function(x) ifelse(x %in% edc_missing_codes, NA, x)
edc_label <- function(x, label) {{ attr(x, "label") <- label; x }}
"""


def r_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return f'"{escaped}"'


def r_vector(items: list[str]) -> str:
    return f"c({', '.join(r_string(i) for i in items)})"


def _convert(column: Column, lang: str) -> str:
    cell = f"edc_blank(d[[{r_string(column.name)}]])"
    if column.codes:
        codes = list(column.codes)
        if {code for code, _ in codes} == {0, 1}:
            # Yes/no and checkboxes list 1 first; R takes the first level as the reference, and
            # glm(y ~ ., family = binomial) would then model "No". 0 comes first here.
            codes.sort(key=lambda item: item[0])
        levels = r_vector([str(code) for code, _ in codes])
        labels = r_vector([label_in(labels, lang) for _, labels in codes])
        return f"factor({cell}, levels = {levels}, labels = {labels})"
    if column.kind in (Kind.integer, Kind.decimal):
        return f"as.numeric({cell})"
    return cell


def _table(table: Table, lang: str) -> list[str]:
    keys = [c.name for c in table.spec.columns if c.role == Role.key]
    name = table.name
    lines = [
        f"# {name}: {table.frame.height} rows",
        f"d <- edc_read({r_string(name + '.csv')})",
        f"{name}_missing <- edc_codes(d, {r_vector(keys)})",
    ]
    for column in table.spec.columns:
        target = f"d[[{r_string(column.name)}]]"
        value = "as.integer(d$instance)" if column.name == "instance" else _convert(column, lang)
        lines.append(f"{target} <- edc_label({value}, {r_string(label_in(column.label, lang))})")
    lines += [f"{name} <- d", ""]
    return lines


def write_r(plan: Plan, folder: Path) -> list[str]:
    study, lang = plan.snapshot.study, plan.snapshot.lang
    codes = ", ".join(r_string(m.code) for m in study.spec.missing_codes)
    lines = [
        f"# {label_in(study.spec.title, lang)}",
        f"# Definition version {study.version}. Written by EDC; base R only.",
        PRELUDE.format(codes=codes),
    ]
    for table in plan.snapshot.tables:
        lines += _table(table, lang)
    lines.append("rm(d)")
    (folder / "study.R").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ["study.R"]
