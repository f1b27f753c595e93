"""The cohort summary: Table 1 with small-cell suppression, and the Aalen–Johansen cumulative incidence."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
import pytest

from app.core.errors import Forbidden
from app.exports.columns import Column, Kind, Role
from app.exports.summary.incidence import Curve, aalen_johansen, patient_time
from app.exports.summary.report import SummaryOptions, cohort_summary, hidden_counts
from app.exports.summary.table1 import table_one
from tests.exports.conftest import StudyDb

INCIDENCE = {
    "event": "trm",
    "competing": "relapse",
    "event_time": "death_day",
    "competing_time": "relapse_day",
    "censor_time": "last_followup_day",
}


def test_aalen_johansen_matches_a_hand_computed_example() -> None:
    # n=6. t=2: 1 event of 6 -> CIF 1/6, S 5/6. t=3: 1 competing of 5 (and 1 censored) -> S 4/6.
    # t=5: 1 event of 3 -> CIF 1/6 + 4/6 * 1/3 = 7/18, S 4/9. t=6 censored. t=8: 1 event of 1 -> CIF 15/18.
    steps = aalen_johansen([(2, 1), (3, 2), (3, 0), (5, 1), (6, 0), (8, 1)])
    assert [(s.time, s.at_risk, s.events, s.competing) for s in steps] == [
        (2, 6, 1, 0),
        (3, 5, 0, 1),
        (5, 3, 1, 0),
        (6, 2, 0, 0),
        (8, 1, 1, 0),
    ]
    assert [round(s.incidence, 6) for s in steps] == [
        round(x, 6) for x in (1 / 6, 1 / 6, 7 / 18, 7 / 18, 15 / 18)
    ]


def test_each_patient_has_one_time_and_status() -> None:
    assert patient_time(1, 0, 40, None, 40) == (40, 1)
    assert patient_time(0, 1, None, 100, 200) == (100, 2)
    assert patient_time(1, 1, 40, 30, 40) == (30, 2)  # the competing event came first
    assert patient_time(0, 0, None, None, 200) == (200, 0)
    assert patient_time(1, 0, None, None, 40) is None  # the event's time is missing


def test_small_cells_are_suppressed_with_a_complement() -> None:
    codes = ((1, {"en": "Male"}), (2, {"en": "Female"}), (3, {"en": "Other"}))
    sex = Column("sex", Kind.integer, Role.input, {"en": "Sex"}, "sex", codes=codes)
    frame = pl.DataFrame({"sex": ["1"] * 20 + ["2"] * 12 + ["3"] * 2})
    _, plain = table_one(frame, [sex], None, "en", 0, "All")
    _, hidden = table_one(frame, [sex], None, "en", 5, "All")
    assert [line.cells["__overall__"] for line in plain[:3]] == ["20 (58.8%)", "12 (35.3%)", "2 (5.9%)"]
    # 2 is under 5; 12, the next smallest, is hidden too so that 2 cannot be worked out from the total.
    # It is marked '*', not '<5': it is not small.
    assert [line.cells["__overall__"] for line in hidden[:3]] == ["20 (58.8%)", "*", "<5"]


def test_table_one_and_incidence_of_the_hand_worked_patients(study_db: StudyDb) -> None:
    options = SummaryOptions(
        by="dose_group", sites=("HCB", "FHCC"), variables=("sex", "weight_kg"), **INCIDENCE
    )
    with study_db.sessions() as session:
        summary = cohort_summary(session, study_db.study, study_db.actor(session, "coordinator"), options)
    assert [(g.label, g.n) for g in summary.groups] == [
        ("All patients", 3),
        ("High dose", 1),
        ("Low dose", 1),
        ("Intermediate dose", 0),
        ("Anakinra dose group: not recorded", 1),  # so that the groups add up to everyone
    ]
    weight = next(line for line in summary.lines if line.variable == "weight_kg" and line.level == "")
    assert weight.cells["__overall__"] == "50 [42.5–65] (n=3)"
    groups = {g.key: g for g in summary.groups}
    assert weight.cells["__ungrouped__"].endswith("(n=1)")
    curves = {c.key: c.n for c in summary.curves}
    assert curves["__ungrouped__"] + curves["1"] + curves["2"] + curves["3"] == curves["__overall__"]
    assert groups["__ungrouped__"].n + sum(groups[k].n for k in ("1", "2", "3")) == groups["__overall__"].n
    assert summary.excluded == 1  # patient C has no follow-up
    overall = {row.day: row for row in summary.incidence if row.group == "All patients"}
    assert (overall[28].incidence, overall[60].incidence) == ("0.0%", "50.0%")  # A died on day 40 of 2
    assert overall[60].events == "1" and summary.chart.startswith("<svg")


def test_cli_writes_the_summary_and_refuses_others(study_db: StudyDb, tmp_path: Path) -> None:
    args = [f"--{k.replace('_', '-')}={v}" for k, v in INCIDENCE.items()]
    done = study_db.edc(
        "summary",
        "--out",
        "s",
        "--user",
        "coordinator@exports.test",
        "--min-cell",
        "3",
        *args,
        "--by",
        "dose_group",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "s" / "summary.html").read_text(encoding="utf-8")
    assert "<svg" in page and "Aalen–Johansen" in page and "&lt;3" in page
    rows = list(csv.DictReader((tmp_path / "s" / "summary.csv").open(encoding="utf-8")))
    assert {r["section"] for r in rows} == {"table1", "incidence"}
    with study_db.sessions() as session, pytest.raises(Forbidden):
        cohort_summary(session, study_db.study, study_db.actor(session, "monitor"), SummaryOptions())
    bad = study_db.edc(
        "summary", "--out", "t", "--user", "coordinator@exports.test", "--by", "weight_kg", cwd=tmp_path
    )
    assert bad.returncode == 1 and bad.stderr == "error: --by: 'weight_kg' is not a coded variable\n"


def test_a_suppressed_count_cannot_be_recovered_across_the_groups() -> None:
    group = ((1, {"en": "A"}), (2, {"en": "B"}), (3, {"en": "C"}))
    by = Column("arm", Kind.integer, Role.input, {"en": "Arm"}, "arm", codes=group)
    sex = Column(
        "sex", Kind.integer, Role.input, {"en": "Sex"}, "sex", codes=((1, {"en": "M"}), (2, {"en": "F"}))
    )
    # A 50, B 42, C 2, arm not recorded 6: C's size would be 100 - 50 - 42 - 6 if only C were hidden.
    arms = ["1"] * 50 + ["2"] * 42 + ["3"] * 2 + [None] * 6
    sexes = ["1"] * 47 + ["2"] * 3 + ["1"] * 21 + ["2"] * 21 + ["1", "2"] + ["1"] * 6
    frame = pl.DataFrame({"arm": arms, "sex": sexes})
    groups, lines = table_one(frame, [sex], by, "en", 5, "All", "Arm: not recorded")
    assert [g.shown_n for g in groups] == ["100", "50", "42", "<5", "*"]  # 6 hides C's 2
    female = next(line for line in lines if line.level == "2")
    # Women: A 3 (small), B 21, C 1 and not recorded 0 (their groups are hidden): A and C are both
    # hidden across the groups, so neither can be recovered from the total of 25. The hidden group's 0
    # shows its group's mark too.
    assert female.cells == {
        "__overall__": "25 (25.0%)",
        "1": "<5",
        "2": "21 (50.0%)",
        "3": "<5",
        "__ungrouped__": "*",
    }
    male = next(line for line in lines if line.level == "1")
    # Down A's column, its 3 women alone would be recoverable from A's 50: its 47 men are hidden too.
    assert male.cells["1"] == "*" and male.cells["2"] == "21 (50.0%)"  # "*": 47 is not small


def test_a_single_small_group_count_in_a_row_takes_the_next_smallest_with_it() -> None:
    group = ((1, {"en": "A"}), (2, {"en": "B"}))
    by = Column("arm", Kind.integer, Role.input, {"en": "Arm"}, "arm", codes=group)
    sex = Column(
        "sex", Kind.integer, Role.input, {"en": "Sex"}, "sex", codes=((1, {"en": "M"}), (2, {"en": "F"}))
    )
    # Women: A 2, B 30. Without the complement across groups, A = 32 - 30.
    frame = pl.DataFrame(
        {"arm": ["1"] * 40 + ["2"] * 40, "sex": ["2"] * 2 + ["1"] * 38 + ["2"] * 30 + ["1"] * 10}
    )
    _, lines = table_one(frame, [sex], by, "en", 5, "All", "Arm: not recorded")
    female = next(line for line in lines if line.level == "2")
    assert (female.cells["1"], female.cells["2"]) == ("<5", "*")
    assert female.cells["__overall__"] == "32 (40.0%)"


def test_a_zero_in_a_hidden_group_does_not_give_a_small_count_away() -> None:
    group = ((1, {"en": "A"}), (2, {"en": "B"}), (3, {"en": "C"}))
    by = Column("arm", Kind.integer, Role.input, {"en": "Arm"}, "arm", codes=group)
    sex = Column(
        "sex", Kind.integer, Role.input, {"en": "Sex"}, "sex", codes=((1, {"en": "M"}), (2, {"en": "F"}))
    )
    weight = Column("weight", Kind.decimal, Role.input, {"en": "Weight"}, "weight")
    # A 50, B 42, C 2 (small), not recorded 6 (hidden so that C's size is not 100 - 92). Women: A 21,
    # B 21, C 1, not recorded 0: had that 0 been shown, C's 1 would be 43 - 21 - 21 - 0.
    arms = ["1"] * 50 + ["2"] * 42 + ["3"] * 2 + [None] * 6
    sexes = ["2"] * 21 + ["1"] * 29 + ["2"] * 21 + ["1"] * 21 + ["2", "1"] + ["1"] * 6
    weights = ["70"] * 94 + [None] * 6  # nobody in the hidden group has a weight
    frame = pl.DataFrame({"arm": arms, "sex": sexes, "weight": weights})
    groups, lines = table_one(frame, [sex, weight], by, "en", 5, "All", "Arm: not recorded")
    assert [g.shown_n for g in groups] == ["100", "50", "42", "<5", "*"]
    female = next(line for line in lines if line.variable == "sex" and line.level == "2")
    assert female.cells["3"] == "<5" and female.cells["__ungrouped__"] == "*"
    weighed = [line for line in lines if line.variable == "weight"]
    assert [line.cells["__ungrouped__"] for line in weighed] == ["n=*", "*"]  # not "–" and "6"
    assert [line.cells["3"] for line in weighed] == ["n=<5", "<5"]


def test_incidence_counts_cannot_be_recovered_across_the_groups(study_db: StudyDb) -> None:
    options = SummaryOptions(by="dose_group", sites=("HCB", "FHCC"), min_cell=2, **INCIDENCE)
    with study_db.sessions() as session:
        summary = cohort_summary(session, study_db.study, study_db.actor(session, "coordinator"), options)
    # Three patients, one per group (High, Low, not recorded): each group's size is under 2, so every
    # group's numbers at risk and events are hidden, and only everyone's are shown.
    rows = {(row.key, row.day): row for row in summary.incidence}
    assert {row.key for row in summary.incidence} == {"__overall__", "1", "2", "3", "__ungrouped__"}
    for key in ("1", "2", "__ungrouped__"):
        assert (rows[key, 60].at_risk, rows[key, 60].events, rows[key, 60].incidence) == (
            "<2",
            "<2",
            "suppressed",
        )
    assert rows["__overall__", 28].at_risk == "2"  # everyone's are shown: 2 is not under 2


def test_a_small_number_at_risk_takes_the_next_smallest_with_it() -> None:
    curves = [Curve(key, key, n, []) for key, n in (("__overall__", 40), ("1", 30), ("2", 8), ("3", 2))]
    # At some day: everyone 20 at risk, A 12, B 6, C 2; C's 2 alone would be 20 - 12 - 6.
    assert hidden_counts([20, 12, 6, 2], curves, 5) == [False, False, True, True]
    assert hidden_counts([20, 12, 6, 2], curves, 0) == [False, False, False, False]


def test_percentages_are_left_out_where_they_would_give_a_hidden_missing_count_away() -> None:
    codes = ((0, {"en": "No"}), (1, {"en": "Yes"}))
    prior = Column("prior", Kind.integer, Role.input, {"en": "Prior"}, "prior", codes=codes)
    frame = pl.DataFrame({"prior": ["1"] * 73 + ["0"] * 62 + [None] * 2})
    _, lines = table_one(frame, [prior], None, "en", 5, "All")
    # "73 (54.1%)" would tell 135 with a value, so 2 missing and 62 No.
    assert [line.cells["__overall__"] for line in lines] == ["*", "73", "<5"]
    _, plain = table_one(frame, [prior], None, "en", 0, "All")
    assert [line.cells["__overall__"] for line in plain] == ["62 (45.9%)", "73 (54.1%)", "2"]


def test_medians_are_written_as_a_reader_writes_them() -> None:
    year = Column("year", Kind.integer, Role.input, {"en": "Year"}, "year")
    ferritin = Column("ferritin", Kind.decimal, Role.input, {"en": "Ferritin"}, "ferritin")
    frame = pl.DataFrame({"year": ["2021", "2022", "2023"], "ferritin": ["5881", "10500", "15470"]})
    _, lines = table_one(frame, [year, ferritin], None, "en", 0, "All")
    cells = [line.cells["__overall__"] for line in lines if line.level == ""]
    # Not "2022 [2022–2022]" (four figures) nor "1.05e+04 [...]".
    assert cells == ["2022 [2021.5–2022.5] (n=3)", "10500 [8190.5–12985] (n=3)"]


def test_the_study_settings_name_the_default_incidence(study_db: StudyDb) -> None:
    with study_db.sessions() as session:
        coordinator = study_db.actor(session, "coordinator")
        unasked = cohort_summary(session, study_db.study, coordinator, SummaryOptions(sites=("HCB", "FHCC")))
        none = SummaryOptions(sites=("HCB", "FHCC"), study_incidence=False)
        table_only = cohort_summary(session, study_db.study, coordinator, none)
        spanish = cohort_summary(session, study_db.study, coordinator, SummaryOptions(lang="es"))
    # CRF.md: the cohort summary reports the TRM incidence, relapse competing, at day 28 and 60.
    assert (unasked.options.event, unasked.options.competing) == ("trm", "relapse")
    assert {row.day for row in unasked.incidence} == {28, 60} and unasked.chart.startswith("<svg")
    assert table_only.incidence == [] and table_only.options.event is None
    assert {line.level_label for line in spanish.lines if line.level in ("", "missing")} == {
        "mediana [RIC]",
        "ausente",
    }


def test_what_the_coordinator_gives_stands_beside_the_study_incidence(study_db: StudyDb) -> None:
    with study_db.sessions() as session:
        coordinator = study_db.actor(session, "coordinator")
        options = SummaryOptions(sites=("HCB", "FHCC"), censor_time="death_day")
        summary = cohort_summary(session, study_db.study, coordinator, options)
        hidden = SummaryOptions(sites=("HCB", "FHCC"), min_cell=2)
        small = cohort_summary(session, study_db.study, coordinator, hidden)
    assert (summary.options.event, summary.options.censor_time) == ("trm", "death_day")
    # Everyone's curve has 2 patients, but 1 event by day 60, which the table hides as '<2': the
    # curve's step (1 of 2) would show it, so no curve is drawn.
    overall = small.curves[0]
    assert overall.n == 2 and [r.events for r in small.incidence if r.key == "__overall__"][-1] == "<2"
    assert not any(curve.shown and curve.steps for curve in small.curves)
