"""Shared by the benchmarks: a fresh database (SQLite file or PostgreSQL schema), a user with a token,
and the app served by uvicorn (one worker) in a subprocess on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import make_url

from app.auth.actor import SYSTEM
from app.auth.service import add_user
from app.auth.tokens import create_token
from app.core import migrations
from app.core.database import make_engine, make_session_factory
from app.forms.compile import load_study
from app.sites.service import sync_sites

REPO = Path(__file__).resolve().parents[1]
POSTGRES_URL = os.environ.get("EDC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@contextmanager
def database(backend: str) -> Iterator[str]:
    """An empty, migrated database: a temporary SQLite file or a new PostgreSQL schema."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            migrations.upgrade(url)
            yield url
        return
    schema = f"edc_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        rendered = url.render_as_string(hide_password=False)
        migrations.upgrade(rendered)
        yield rendered
    finally:
        with admin.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
        admin.dispose()


def postgres_available() -> bool:
    try:
        make_engine(POSTGRES_URL, connect_args={"connect_timeout": 3}).connect().close()
        return True
    except Exception:  # noqa: BLE001 - any failure means "not here"
        return False


def user_token(url: str, email: str, role: str, site: str | None) -> str:
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            sync_sites(session, load_study(REPO / "forms"))
            add_user(session, SYSTEM, email, role, site, "bench-password-1")
            return create_token(session, SYSTEM, email)[1]
    finally:
        engine.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def served(url: str) -> Iterator[str]:
    """The app on http://127.0.0.1:PORT, one uvicorn worker, until the block ends."""
    port = free_port()
    env = {
        **os.environ,
        "EDC_DATABASE_URL": url,
        "EDC_FORMS_DIR": str(REPO / "forms"),
        "EDC_ENV": "test",
        "EDC_SECRET_KEY": "bench-secret-key-not-for-production",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        cwd=REPO,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start within 30 s")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def print_machine() -> None:
    """One line that tells machines apart: the same benchmark on these 2-core machines has run up to
    three times slower from one session to the next, and a figure means little without it. The same
    pure-Python loop, best of five, so that figures from different days can be set side by side."""
    best = min(_loop_seconds() for _ in range(5))
    loop = f"reference loop sum(range(10**6)) {best * 1000:.1f} ms"
    print(f"machine: {os.cpu_count()} cores; {loop} (lower is faster)")


def _loop_seconds() -> float:
    start = time.perf_counter()
    sum(range(10**6))
    return time.perf_counter() - start
