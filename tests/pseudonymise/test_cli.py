"""`edc pseudonymise` driven as a site's data steward runs it: a subprocess, offline."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.pseudonymise.conftest import EXPORTS, REPO, extract_of


def edc(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDC_FORMS_DIR": str(REPO / "forms"), "COLUMNS": "100"}
    command = [sys.executable, "-m", "app.cli", "pseudonymise", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_make_a_key_then_pseudonymise_an_extract(tmp_path: Path) -> None:
    made = edc("--new-key", "hcb.key", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE((tmp_path / "hcb.key").stat().st_mode) == 0o600

    again = edc("--new-key", "hcb.key", cwd=tmp_path)
    assert again.returncode == 1
    assert "already exists: a key file is never overwritten" in again.stderr
    assert "nothing was written" in again.stderr

    result = edc(
        str(extract_of("HCB")), "--profile", str(EXPORTS / "HCB.yaml"), "--key-file", "hcb.key",
        "--out", "upload.csv", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "HCB: 8 patient(s)" in result.stdout
    assert "daily_assessment" in result.stdout and "infections" in result.stdout
    assert "wrote upload.csv (upload this file)" in result.stdout
    assert "wrote upload.linkage-KEEP-AT-SITE.csv (pseudonym -> MRN: keep it at the site" in result.stdout
    assert (tmp_path / "upload.csv").read_bytes().startswith(b"record_id,redcap_repeat_instrument,")


def test_a_refused_extract_exits_1_lists_the_problems_and_writes_nothing(tmp_path: Path) -> None:
    edc("--new-key", "site.key", cwd=tmp_path)
    broken = tmp_path / "fhcc.csv"
    broken.write_text(
        extract_of("FHCC").read_text(encoding="utf-8").replace("PATIENT,", "PATEINT,", 1), "utf-8"
    )

    result = edc(
        str(broken), "--profile", str(EXPORTS / "FHCC.yaml"), "--key-file", "site.key", "--out", "upload.csv",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error:",
        "  fhcc.csv line 2: 'PATEINT' in Record Type is not a table of the profile",
        "nothing was written",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fhcc.csv", "site.key"]


def test_a_bad_profile_is_reported_with_file_and_line(tmp_path: Path) -> None:
    edc("--new-key", "site.key", cwd=tmp_path)
    profile = tmp_path / "OHSU.yaml"
    profile.write_text(
        (EXPORTS / "OHSU.yaml").read_text(encoding="utf-8").replace("to: ecog", "to: ecogg"), "utf-8"
    )
    profile.write_text(profile.read_text(encoding="utf-8").replace("ECOG: ecog", "ECOG: ecogg"), "utf-8")
    line = profile.read_text(encoding="utf-8").splitlines().index("      ECOG: ecogg") + 1

    result = edc(
        str(extract_of("OHSU")), "--profile", str(profile), "--key-file", "site.key", "--out", "upload.csv",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 1
    assert (
        f"  {profile}:{line}: 'ecogg' is not a variable of this table's form(s)" in result.stderr.splitlines()
    )


def test_outside_the_project_folder_it_says_where_the_study_definition_is_looked_for(
    tmp_path: Path,
) -> None:
    edc("--new-key", "site.key", cwd=tmp_path)
    arguments = [str(extract_of("HCB")), "--profile", str(EXPORTS / "HCB.yaml"), "--key-file", "site.key"]
    command = [sys.executable, "-m", "app.cli", "pseudonymise", *arguments, "--out", "upload.csv"]
    without = {k: v for k, v in os.environ.items() if k != "EDC_FORMS_DIR"}
    (tmp_path / "empty").mkdir()

    for env, shown, why in (
        (without, "forms", "no such folder"),
        ({**without, "EDC_FORMS_DIR": "empty"}, "empty", "no study.yaml there"),
    ):
        result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1
        assert result.stderr.splitlines() == [
            f"error: no study definition in '{shown}' ({why}): run from the project folder or set "
            "EDC_FORMS_DIR to the folder of the study definition"
        ]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "site.key"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = edc(str(extract_of("HCB")), "--profile", str(EXPORTS / "HCB.yaml"), cwd=tmp_path)
    assert missing.returncode == 2
    assert "give LOCAL_EXTRACT, --profile, --key-file and --out" in missing.stderr
    mixed = edc("--new-key", "k", "--out", "x.csv", cwd=tmp_path)
    assert mixed.returncode == 2 and not (tmp_path / "k").exists()


def test_help_explains_the_step(tmp_path: Path) -> None:
    result = edc("--help", cwd=tmp_path)
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for words in (
        "HMAC-SHA256",
        "study day",
        "day before is -1",
        "top-coded",
        "linkage",
        "Nothing is written",
        "--new-key",
    ):
        assert words in text, words
