"""The data-quality report: completeness that respects show-if, findings, open queries, and its scope."""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path

import pytest

from app.core.errors import Forbidden
from app.exports.quality.render import render_quality_html
from app.exports.quality.report import QualityReport, quality_report
from tests.exports.conftest import Api, StudyDb


@pytest.fixture(scope="module")
def report(study_db: StudyDb) -> QualityReport:
    with study_db.sessions() as session:
        return quality_report(
            session, study_db.study, study_db.actor(session, "coordinator"), ["HCB", "FHCC"]
        )


def _tally(report: QualityReport, site: str, form: str, field: str) -> tuple[int, int, int]:
    found = next(c for c in report.completeness if (c.site, c.form, c.field) == (site, form, field))
    return found.expected, found.filled, found.coded


def test_completeness_counts_a_field_only_where_it_is_asked(report: QualityReport) -> None:
    assert list(report.patients) == ["FHCC", "HCB"]
    # HCB: patient A's two live daily assessments (the deleted one is not counted); C has none.
    assert _tally(report, "HCB", "daily_assessment", "assess_day") == (2, 2, 0)
    assert _tally(report, "HCB", "daily_assessment", "vasopressors_n") == (
        1,
        1,
        0,
    )  # asked when hypotension = 1
    assert _tally(report, "HCB", "demographics", "height_cm") == (2, 0, 1)  # A: UNK, C: blank
    assert _tally(report, "HCB", "followup", "last_followup_day") == (2, 1, 0)  # C has no follow-up yet
    assert _tally(report, "FHCC", "disease", "disease_other") == (0, 0, 0)  # asked only if disease = 99


def test_findings_list_unexpected_values_and_failing_checks(report: QualityReport, study_db: StudyDb) -> None:
    c = study_db.records["C"]
    soft = [f for f in report.findings if f.kind == "soft_range"]
    assert [(f.record_id, f.form, f.field, f.value) for f in soft] == [
        (c, "demographics", "weight_kg", "35.0")
    ]
    a = study_db.records["A"]
    checks = {
        (f.record_id, f.form, f.instance, f.field, f.code) for f in report.findings if f.kind == "check"
    }
    assert (a, "daily_assessment", 1, "crs_grade_reported", "crs_grade_matches_astct") in checks
    assert all(f.site in ("HCB", "FHCC") for f in report.findings)


def test_open_queries_and_their_age(report: QualityReport, study_db: StudyDb) -> None:
    c = study_db.records["C"]
    mine = {(q.record_id, q.field, q.status) for q in report.queries}
    assert (c, "sex", "open") in mine and (c, "weight_kg", "open") in mine
    assert all(q.age_days == 0 for q in report.queries)


def test_a_site_user_sees_only_their_site(study_db: StudyDb) -> None:
    with study_db.sessions() as session:
        actor = study_db.actor(session, "entry_hcb")
        own = quality_report(session, study_db.study, actor, [])
        assert list(own.patients) == ["HCB"]
        with pytest.raises(Forbidden):
            quality_report(session, study_db.study, actor, ["FHCC"])


def test_cli_writes_the_page_and_the_csv(study_db: StudyDb, tmp_path: Path) -> None:
    result = study_db.edc(
        "quality", "--out", "q", "--user", "monitor@exports.test", "--sites", "HCB", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    page = (tmp_path / "q" / "quality.html").read_text(encoding="utf-8")
    assert "Completeness" in page and study_db.records["C"] in page
    rows = list(csv.DictReader((tmp_path / "q" / "quality.csv").open(encoding="utf-8")))
    assert {r["section"] for r in rows} == {"completeness", "soft_range", "check", "query"}


def test_api_returns_the_csv_scoped_to_the_caller(api: Api, study_db: StudyDb) -> None:
    response = api.call("GET", "/api/v1/quality?site=FHCC", "coordinator")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert {r["site"] for r in rows} == {"FHCC"}
    refused = api.call("GET", "/api/v1/quality?site=FHCC", "entry_hcb")
    assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert api.call("GET", "/api/v1/quality", "admin").status_code == 403


def test_the_page_tells_answered_queries_from_open_ones(report: QualityReport) -> None:
    answered = replace(report.queries[0], status="answered")
    page = render_quality_html(replace(report, queries=[answered, *report.queries[1:]]))
    assert "Unresolved queries (open or answered)" in page
    assert "(1 answered, awaiting the monitor)" in page  # as the dashboard tells them apart
