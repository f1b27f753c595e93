"""A file pseudonymised for one site cannot create patients at another site."""

from __future__ import annotations

from pathlib import Path

from app.auth.actor import SYSTEM
from app.auth.service import add_user
from app.auth.tokens import create_token
from app.pseudonymise.keys import new_key
from tests.apiclient import Api
from tests.pseudonymise.conftest import run_site


def test_a_file_of_one_site_uploaded_by_another_sites_manager_is_refused(api: Api, tmp_path: Path) -> None:
    app = api.client.app  # type: ignore[attr-defined]
    with app.state.session_factory.begin() as session:
        add_user(session, SYSTEM, "other-site.ohsu@sites.test", "site_manager", "OHSU", None)
        token = create_token(session, SYSTEM, "other-site.ohsu@sites.test")[1]
    key = tmp_path / "site.key"
    new_key(key)
    out = tmp_path / "upload.csv"
    run_site("HGUGM", app.state.study, key, out)

    headers = {"Authorization": f"Bearer {token}"}
    before = api.client.get("/api/v1/records?limit=1000", headers=headers).json()["items"]
    with out.open("rb") as handle:
        response = api.client.post("/api/v1/uploads", headers=headers, files={"file": ("upload.csv", handle)})
    report = response.json()
    assert report["status"] == "rejected"
    assert report["rejected"] == len({e["row"] for e in report["errors"]}) > 0
    assert report["errors"] and {e["code"] for e in report["errors"]} == {"wrong_site"}
    assert api.client.get("/api/v1/records?limit=1000", headers=headers).json()["items"] == before
