"""`edc upload` as a site runs it: a subprocess against the app served by uvicorn."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.core import migrations
from bench._server import served, user_token
from tests.uploads.test_upload_api import HEADER, patient_rows, pseudonym, to_csv

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli')}/edc.db"
    migrations.upgrade(url)
    token = user_token(url, "dm@hcb.example", "site_manager", "HCB")
    with served(url) as base:
        yield base, token


def edc_upload(server: tuple[str, str], path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    base, token = server
    env = {**os.environ, "EDC_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "upload", str(path), "--url", base, *extra],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )


def test_upload_dry_run_then_real_then_again(server: tuple[str, str], tmp_path: Path) -> None:
    path = tmp_path / "extract.csv"
    path.write_bytes(to_csv(patient_rows(pseudonym())))
    dry = edc_upload(server, path, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing stored" in dry.stdout and "created 4" in dry.stdout
    real = edc_upload(server, path, "--json")
    assert real.returncode == 0 and json.loads(real.stdout)["created"] == 4
    again = edc_upload(server, path)
    assert "created 0, updated 0, unchanged 4" in again.stdout
    assert "nothing changed" in again.stdout and "nothing changed" not in real.stdout
    # The same values, now marked complete by the file: that is a change, and it is said.
    rows = patient_rows(key := pseudonym())
    path.write_bytes(to_csv(rows))
    created = edc_upload(server, path)
    assert created.returncode == 0 and "site pseudonym -> study ID" in created.stdout
    assert re.search(rf"row 2: {key} -> HCB-\d{{4}}-[0-9A-Z]", created.stdout), created.stdout
    assert "site pseudonym -> study ID" not in dry.stdout + again.stdout
    rows[0]["demographics_complete"] = "2"
    path.write_bytes(to_csv(rows, [*HEADER, "demographics_complete"]))
    completed = edc_upload(server, path)
    assert completed.returncode == 0, completed.stdout
    assert "marked complete by their _complete column: 1" in completed.stdout
    assert "nothing changed" not in completed.stdout


def test_a_rejected_upload_lists_its_problems_and_exits_1(server: tuple[str, str], tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(to_csv(patient_rows(pseudonym(), **{"0__weight_kg": "999"})))
    done = edc_upload(server, path)
    assert done.returncode == 1
    assert "row=2" in done.stdout and "field=weight_kg" in done.stdout and "'999'" in done.stdout
    assert "nothing stored" in done.stdout and "would be created" in done.stdout
    assert "Traceback" not in done.stderr


def test_an_unreachable_server_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"site_pseudonym\nabc\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "upload",
            str(path),
            "--url",
            "http://127.0.0.1:9",
            "--token",
            "edc_x",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )
    assert done.returncode == 2 and "could not reach" in done.stderr
