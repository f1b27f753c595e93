"""Benchmark: saving one form through the JSON API (validate, store, audit, commit), one worker.

Target (issue: records service): on SQLite p50 under 5 ms and at least 300 saves/s; the same figures
on PostgreSQL; the audit event's share of a save. Baseline in the same run: GET /healthz over the
same connection (the HTTP floor). The audit share is measured in-process: time inside
audit.append_many (every audit event is written through it) over the time of the whole service call,
for the same saves.

    .venv/bin/python bench/records_save.py [--saves N]
"""

from __future__ import annotations

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._server import REPO, database, percentile, postgres_available, print_machine, served, user_token  # noqa: E402

VALUES = {"age_at_infusion": "57", "sex": "2", "height_cm": "165.0", "ecog": "1"}


def _timed(client: httpx.Client, method: str, url: str, **kwargs: object) -> float:
    start = time.perf_counter()
    response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
    elapsed = time.perf_counter() - start
    if response.status_code >= 300:
        raise RuntimeError(f"{method} {url}: {response.status_code} {response.text[:300]}")
    return elapsed


def _concurrent(base: str, token: str, record_ids: list[str], saves: int) -> float:
    """Saves per second with one client thread per patient, all at once (one server worker)."""
    per_client = saves // len(record_ids)

    def client_loop(record_id: str) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client:
            path = f"/api/v1/records/{record_id}/forms/demographics"
            for i in range(per_client):
                _timed(
                    client, "PUT", path, json={"values": {**VALUES, "weight_kg": f"{70 + i % 60}.{i % 10}"}}
                )

    start = time.perf_counter()
    with ThreadPoolExecutor(len(record_ids)) as pool:
        list(pool.map(client_loop, record_ids))
    return per_client * len(record_ids) / (time.perf_counter() - start)


def http_run(backend: str, saves: int) -> None:
    with database(backend) as url:
        token = user_token(url, "bench@site.example", "site_entry", "HCB")
        with (
            served(url) as base,
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client,
        ):
            record_id = client.post("/api/v1/records").json()["record_id"]
            path = f"/api/v1/records/{record_id}/forms/demographics"
            for i in range(20):  # warm up
                _timed(client, "PUT", path, json={"values": {**VALUES, "weight_kg": f"{60 + i}.5"}})
                _timed(client, "GET", "/healthz")
            floor = [_timed(client, "GET", "/healthz") for _ in range(saves)]
            start = time.perf_counter()
            samples = [
                _timed(
                    client, "PUT", path, json={"values": {**VALUES, "weight_kg": f"{60 + i % 90}.{i % 10}"}}
                )
                for i in range(saves)
            ]
            wall = time.perf_counter() - start
            others = [client.post("/api/v1/records").json()["record_id"] for _ in range(4)]
            concurrent = _concurrent(base, token, others, saves)
    p50, p95, floor50 = (percentile(x, q) * 1000 for x, q in ((samples, 0.5), (samples, 0.95), (floor, 0.5)))
    target = "   (target p50 < 5 ms, >= 300 saves/s)" if backend == "sqlite" else ""
    print(
        f"{backend:10} save p50 {p50:6.2f} ms  p95 {p95:6.2f} ms  {saves / wall:5.0f} saves/s sequential, "
        f"{concurrent:5.0f} with 4 clients   | baseline GET /healthz p50 {floor50:5.2f} ms{target}"
    )


def audit_share(backend: str, saves: int) -> None:
    from app.audit import service as audit
    from app.auth.actor import Actor
    from app.core.database import make_engine, make_session_factory
    from app.forms.compile import load_study
    from app.models import Site, User
    from app.records import service

    study = load_study(REPO / "forms")
    spent = [0.0]
    original = audit.append_many

    def timed_append(*args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            spent[0] += time.perf_counter() - start

    with database(backend) as url:
        user_token(url, "share@site.example", "site_entry", "HCB")
        engine = make_engine(url)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            user = session.query(User).filter_by(email="share@site.example").one()
            site = session.get(Site, user.site_id)
            assert site is not None
            actor = Actor(user.id, user.email, user.role, site.id, site.code, "bench")
            record_id = service.create_record(session, actor).record_id
        audit.append_many = timed_append  # type: ignore[assignment]
        total = 0.0
        for i in range(saves):
            start = time.perf_counter()
            with sessions.begin() as session:
                service.save_form(
                    session,
                    study,
                    actor,
                    record_id,
                    "demographics",
                    None,
                    {**VALUES, "weight_kg": f"{60 + i % 90}.{i % 10}"},
                )
            total += time.perf_counter() - start
        audit.append_many = original  # type: ignore[assignment]
        engine.dispose()
    print(
        f"{backend:10} in-process save {total / saves * 1000:6.2f} ms, of which audit.append_many "
        f"{spent[0] / saves * 1000:5.2f} ms = {spent[0] / total:5.1%} of the save"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--saves", type=int, default=1000)
    args = parser.parse_args()
    print_machine()
    backends = ["sqlite"] + (["postgresql"] if postgres_available() else [])
    if len(backends) == 1:
        print("PostgreSQL not reachable: its figures are skipped")
    for backend in backends:
        http_run(backend, args.saves)
    for backend in backends:
        audit_share(backend, min(args.saves, 500))


if __name__ == "__main__":
    main()
