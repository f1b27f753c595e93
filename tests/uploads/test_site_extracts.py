"""Every site's synthetic local extract: pseudonymised at the site, uploaded, and the patients appear.

This is the whole path of a site that never types into web forms: `edc pseudonymise` with the site's
profile, then the upload API as that site's data manager, then the stored values read back.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from app.auth.actor import SYSTEM
from app.auth.service import add_user
from app.auth.tokens import create_token
from app.pseudonymise.keys import new_key
from app.pseudonymise.service import pseudonymise
from tests.apiclient import REPO, Api

SITES = sorted(p.stem for p in (REPO / "site_exports").glob("*.yaml"))


def extract_of(site: str) -> Path:
    folder = REPO / "site_exports" / site
    entries = sorted(folder.iterdir())
    assert len(entries) == 1, entries
    return entries[0]


@pytest.mark.parametrize("site", SITES)
def test_a_sites_extract_goes_through_pseudonymise_and_upload_unchanged(
    api: Api, site: str, tmp_path: Path
) -> None:
    app = api.client.app  # type: ignore[attr-defined]
    with app.state.session_factory.begin() as session:
        email = f"dm.{site.lower()}@sites.test"
        add_user(session, SYSTEM, email, "site_manager", site, None)
        token = create_token(session, SYSTEM, email)[1]
    key = tmp_path / "site.key"
    new_key(key)
    out = tmp_path / "upload.csv"
    summary = pseudonymise(
        extract_of(site), REPO / "site_exports" / f"{site}.yaml", key, out, app.state.study
    )
    headers = {"Authorization": f"Bearer {token}"}
    before = {
        r["record_id"] for r in api.client.get("/api/v1/records?limit=1000", headers=headers).json()["items"]
    }
    with out.open("rb") as handle:
        response = api.client.post("/api/v1/uploads", headers=headers, files={"file": ("upload.csv", handle)})
    report = response.json()
    assert response.status_code == 200, report["errors"][:5]
    assert (report["status"], report["patients_created"], report["rejected"]) == ("done", summary.patients, 0)
    with out.open("rb") as handle:
        again = api.client.post(
            "/api/v1/uploads", headers=headers, files={"file": ("upload.csv", handle)}
        ).json()
    assert (again["created"], again["updated"]) == (0, 0)

    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    first = next(r for r in rows if not r["redcap_repeat_instrument"])
    listed = api.client.get("/api/v1/records?limit=1000", headers=headers).json()["items"]
    records = [r for r in listed if r["record_id"] not in before]
    assert len(records) == summary.patients and {r["site"] for r in records} == {site}
    stored = [
        api.client.get(f"/api/v1/records/{r['record_id']}/forms/demographics", headers=headers).json()
        for r in records
    ]
    ages = sorted(str(s["values"].get("age_at_infusion")) for s in stored)
    assert ages == sorted(r["age_at_infusion"] for r in rows if not r["redcap_repeat_instrument"])
    assert first["weight_kg"] in {str(s["values"].get("weight_kg")) for s in stored}
