import os
import sqlite3
import subprocess
import sys
from pathlib import Path

EDC = Path(sys.executable).with_name("edc")


def run_edc(*args: str, cwd: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDC_DATABASE_URL": database_url}
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
