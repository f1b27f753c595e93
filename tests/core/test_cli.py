import os
import sqlite3
import subprocess
import sys
from pathlib import Path

EDC = Path(sys.executable).with_name("edc")


def run_edc(*args: str, cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDC_DATABASE_URL": database_url}
    env.pop("EDC_FORMS_DIR", None)  # the default, relative to cwd, is what these tests are about
    return subprocess.run([EDC, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_help_lists_the_command_groups(tmp_path: Path) -> None:
    result = run_edc("--help", cwd=tmp_path, database_url="sqlite:///unused.db")
    assert result.returncode == 0, result.stderr
    for command in ("db", "serve", "forms"):
        assert command in result.stdout


def test_db_upgrade_creates_the_schema_from_any_directory(tmp_path: Path) -> None:
    database = tmp_path / "edc.db"
    url = f"sqlite:///{database}"

    first = run_edc("db", "upgrade", cwd=tmp_path, database_url=url)
    again = run_edc("db", "upgrade", cwd=tmp_path, database_url=url)

    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert "upgraded to head" in first.stdout
    with sqlite3.connect(database) as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"alembic_version", "schema_info"} <= tables


def test_a_command_run_away_from_the_database_says_where_it_looked(tmp_path: Path) -> None:
    result = run_edc("tokens", "list", cwd=tmp_path, database_url="sqlite:///./edc.db")
    assert result.returncode == 1
    assert f"no database at {tmp_path.resolve() / 'edc.db'}" in result.stderr
    assert "project folder" in result.stderr
    assert not (tmp_path / "edc.db").exists()  # nothing made where it does not belong


def test_a_command_run_away_from_the_study_says_where_it_looked(tmp_path: Path) -> None:
    database = tmp_path / "edc.db"
    assert run_edc("db", "upgrade", cwd=tmp_path, database_url=f"sqlite:///{database}").returncode == 0
    result = run_edc(
        "export",
        "--out",
        str(tmp_path / "out"),
        "--user",
        "someone@example.org",
        cwd=tmp_path,
        database_url=f"sqlite:///{database}",
    )
    assert result.returncode == 1
    assert f"no study definition folder 'forms' in {tmp_path}" in result.stderr
    assert "EDC_FORMS_DIR" in result.stderr


def test_flags_read_as_flags_in_the_help(tmp_path: Path) -> None:
    # Rich help marked every on/off flag `<bool>`, as if it took a value (`--dry-run true` fails).
    result = run_edc("upload", "--help", cwd=tmp_path, database_url="sqlite:///unused.db")
    assert result.returncode == 0, result.stderr
    assert "--dry-run" in result.stdout and "<bool>" not in result.stdout


def test_values_in_the_help_are_named_after_their_option(tmp_path: Path) -> None:
    # Not after their Python type: `--url <str>` told a user nothing.
    upload = run_edc("upload", "--help", cwd=tmp_path, database_url="sqlite:///unused.db")
    assert "--url URL" in upload.stdout and "--token TOKEN" in upload.stdout
    export = run_edc("export", "--help", cwd=tmp_path, database_url="sqlite:///unused.db")
    assert "--sites SITES" in export.stdout
    for result in (upload, export):
        assert "<str>" not in result.stdout and "<list[str]>" not in result.stdout


def test_serving_a_database_that_is_not_ready_is_refused_in_one_line(tmp_path: Path) -> None:
    missing = run_edc("serve", "--port", "8099", cwd=tmp_path, database_url="sqlite:///./edc.db")
    assert missing.returncode == 1 and "no database at" in missing.stderr
    assert not (tmp_path / "edc.db").exists()
    (tmp_path / "empty.db").touch()
    for command in (["serve", "--port", "8099"], ["worker", "--once"]):
        env = {**os.environ, "EDC_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}
        env["EDC_FORMS_DIR"] = str(Path(__file__).resolve().parents[2] / "forms")
        done = subprocess.run(
            [EDC, *command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 1, done.stderr
        assert done.stderr.strip().splitlines() == [
            f"error: the database sqlite:///{tmp_path / 'empty.db'} is not at this version's schema: "
            "run `edc db upgrade`"
        ]
