"""Benchmark: the pages with 2,000 patients at one site, over HTTP (httpx against uvicorn, one worker).

Target (issue #5): the dashboard and a form page render in under 200 ms at p95. Each page is requested
by the same signed-in client; the baseline in the same run is GET /healthz over that client (the HTTP
floor). Patients are entered through records.service (eligibility, demographics, one daily assessment;
a third of the eligibility forms complete, one patient in ten with a soft-range warning and its query).

    .venv/bin/python bench/web_bench.py [--patients N] [--requests N]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.auth.service import actor_for_user, user_by_email  # noqa: E402
from app.core.database import make_engine, make_session_factory  # noqa: E402
from app.forms.compile import load_study  # noqa: E402
from app.records.service import create_record, save_form  # noqa: E402
from app.records.workflow import change_status  # noqa: E402
from bench._server import REPO, database, percentile, postgres_available, print_machine, served, user_token  # noqa: E402

EMAIL = "bench.web@site.example"
PASSWORD = "bench-password-1"  # what bench._server.user_token gives the user
TARGET_MS = 200.0
ELIGIBILITY = {"anakinra_indication": "2", "refractory_to": "1", "ethics_approval": "1"}
DAY = {
    "assess_day": "2",
    "tmax_c": "38.6",
    "hypotension": "1",
    "vasopressors_n": "1",
    "o2_device": "1",
    "o2_flow_lmin": "4",
}


def seed(url: str, patients: int) -> str:
    """`patients` patients at HCB through the one write path; the study ID of one in the middle."""
    study = load_study(REPO / "forms")
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            actor = actor_for_user(session, user_by_email(session, EMAIL), "bench")
            middle = ""
            for i in range(patients):
                record_id = create_record(session, actor).record_id
                weight = "160" if i % 10 == 0 else f"{55 + i % 40}.5"
                demographics = {
                    "age_at_infusion": str(30 + i % 50),
                    "sex": str(1 + i % 2),
                    "weight_kg": weight,
                }
                save_form(session, study, actor, record_id, "eligibility", None, ELIGIBILITY)
                save_form(session, study, actor, record_id, "demographics", None, demographics)
                save_form(session, study, actor, record_id, "daily_assessment", None, DAY, new_instance=True)
                if i % 3 == 0:
                    change_status(session, study, actor, record_id, "eligibility", None, "complete")
                if i == patients // 2:
                    middle = record_id
            return middle
    finally:
        engine.dispose()


def sign_in(client: httpx.Client) -> None:
    token = re.search(r'name="_csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    response = client.post("/login", data={"email": EMAIL, "password": PASSWORD, "_csrf": token.group(1)})
    if response.status_code != 303:
        raise RuntimeError(f"sign-in failed: {response.status_code}")


def timed(client: httpx.Client, method: str, url: str, requests: int, **kwargs: object) -> list[float]:
    for _ in range(10):  # warm up
        client.request(method, url, **kwargs)  # type: ignore[arg-type]
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
    return samples


def run(backend: str, patients: int, requests: int) -> bool:
    with database(backend) as url:
        user_token(url, EMAIL, "site_entry", "HCB")
        start = time.perf_counter()
        record_id = seed(url, patients)
        seconds = time.perf_counter() - start
        print(f"{backend}: {patients} patients entered through records.service in {seconds:.0f} s")
        with served(url) as base, httpx.Client(base_url=base, timeout=30) as client:
            sign_in(client)
            form = f"/records/{record_id}/forms"
            token = re.search(r'name="_csrf" value="([^"]+)"', client.get(f"{form}/demographics").text)
            assert token is not None
            preview = {"_csrf": token.group(1), **DAY, "vasopressors_n": "2"}
            pages = [
                ("GET /healthz (baseline)", "GET", "/healthz", {}, False),
                ("dashboard, page 1", "GET", "/records", {}, True),
                ("dashboard, page 20", "GET", "/records?page=20", {}, True),
                ("dashboard, search", "GET", f"/records?q={record_id[4:8]}", {}, True),
                ("patient page", "GET", f"/records/{record_id}", {}, False),
                ("form page (demographics)", "GET", f"{form}/demographics", {}, True),
                ("form page (daily assessment)", "GET", f"{form}/daily_assessment/1", {}, True),
                (
                    "live preview (POST)",
                    "POST",
                    f"{form}/daily_assessment/preview?instance=1",
                    {"data": preview},
                    False,
                ),
            ]
            met = True
            for name, method, path, kwargs, targeted in pages:
                samples = timed(client, method, path, requests, **kwargs)
                p50, p95 = percentile(samples, 0.5) * 1000, percentile(samples, 0.95) * 1000
                verdict = ("ok" if p95 < TARGET_MS else "OVER TARGET") if targeted else ""
                met = met and (p95 < TARGET_MS or not targeted)
                print(f"  {name:30} p50 {p50:7.2f} ms   p95 {p95:7.2f} ms   {verdict}")
    return met


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    print_machine()
    backends = ["sqlite"] + (["postgresql"] if postgres_available() else [])
    if len(backends) == 1:
        print("PostgreSQL not reachable: its figures are skipped")
    results = [run(backend, args.patients, args.requests) for backend in backends]
    print(f"target: dashboard and form pages p95 < {TARGET_MS:.0f} ms:", "met" if all(results) else "MISSED")


if __name__ == "__main__":
    main()
