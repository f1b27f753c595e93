"""`edc users` and `edc tokens` run as a subprocess against a temporary SQLite database."""

import hashlib
import os
import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

STUDY_YAML = """\
id: auth-cli-test
title: {en: Auth CLI test, es: Prueba}
version: "1"
languages: [en, es]
sites:
  - {code: AAA, name: Alpha Hospital, country: US, language: en}
  - {code: BBB, name: Beta Hospital, country: ES, language: es}
forms: [basics]
"""
FORM_YAML = """\
name: basics
label: {en: Basics, es: Básicos}
fields:
  - {name: note, type: text, label: {en: Note, es: Nota}}
"""
TOKEN = re.compile(r"edc_[A-Za-z0-9_-]{43}")


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """EDC_* variables naming an upgraded SQLite database and a two-site study."""
    folder = tmp_path_factory.mktemp("auth_cli")
    study = folder / "study"
    study.mkdir()
    (study / "study.yaml").write_text(STUDY_YAML, encoding="utf-8")
    (study / "basics.yaml").write_text(FORM_YAML, encoding="utf-8")
    variables = {
        **os.environ,
        "EDC_DATABASE_URL": f"sqlite:///{folder / 'edc.db'}",
        "EDC_FORMS_DIR": str(study),
    }
    upgraded = edc(variables, "db upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    return variables


def edc(env: dict[str, str], command: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run `edc COMMAND` (split like a shell would) with `stdin` as its input, never a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *shlex.split(command)],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )


def database(env: dict[str, str]) -> sqlite3.Connection:
    return sqlite3.connect(env["EDC_DATABASE_URL"].removeprefix("sqlite:///"))


def assert_one_line_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"error: {message}"], result.stderr


def table(result: subprocess.CompletedProcess[str]) -> list[list[str]]:
    return [line.split() for line in result.stdout.splitlines()]


def test_users_add_and_list(env: dict[str, str]) -> None:
    password = "correct horse battery\n"
    added = edc(env, "users add Ana@CLI.test --role site_entry --site AAA --password-stdin", stdin=password)
    central = edc(env, "users add mon@cli.test --role monitor --language es --password-stdin", stdin=password)
    listed = edc(env, "users list")

    assert added.returncode == 0, added.stderr
    assert added.stdout == "Added ana@cli.test, site_entry at site AAA.\n"
    assert central.returncode == 0, central.stderr
    assert ["ana@cli.test", "site_entry", "AAA", "en", "active"] in table(listed)
    assert ["mon@cli.test", "monitor", "-", "es", "active"] in table(listed)


def test_users_add_without_a_terminal_prints_a_generated_password_once(env: dict[str, str]) -> None:
    added = edc(env, "users add gen@cli.test --role coordinator")

    assert added.returncode == 0, added.stderr
    password = added.stdout.splitlines()[-1].removeprefix("Generated password (shown only now): ")
    assert len(password) == 20
    with database(env) as connection:
        audit = " ".join(str(row) for row in connection.execute("SELECT * FROM audit_events"))
    assert password not in audit


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ("--role boss", "unknown role 'boss' (roles: site_entry, site_manager, monitor, coordinator, admin)"),
        ("--role site_entry", "role site_entry works at one site: give the site's code"),
        ("--role admin --site AAA", "role admin is central and sees every site: give no site"),
        ("--role site_manager --site ZZZ", "no site with code 'ZZZ' (known sites: AAA, BBB)"),
        ("--role monitor --language fr", "unknown language 'fr' (the study's languages: en, es)"),
    ],
)
def test_users_add_refusals_are_one_line(env: dict[str, str], options: str, message: str) -> None:
    assert_one_line_error(edc(env, f"users add bad@cli.test {options}"), message)


def test_users_set_role_and_deactivate(env: dict[str, str]) -> None:
    edc(env, "users add moved@cli.test --role site_entry --site AAA")

    moved = edc(env, "users set-role moved@cli.test site_manager --site BBB")
    gone = edc(env, "users deactivate moved@cli.test")
    listed = edc(env, "users list")

    assert moved.stdout == "moved@cli.test is now site_manager at site BBB.\n"
    assert gone.stdout == "moved@cli.test is deactivated.\n"
    assert ["moved@cli.test", "site_manager", "BBB", "en", "deactivated"] in table(listed)
    assert_one_line_error(edc(env, "users deactivate ghost@cli.test"), "no user with email 'ghost@cli.test'")


def test_tokens_create_prints_the_token_last_and_stores_only_its_hash(env: dict[str, str]) -> None:
    edc(env, "users add api@cli.test --role admin")

    created = edc(env, "tokens create api@cli.test --name 'lab import' --expires-days 30")

    assert created.returncode == 0, created.stderr
    *explanation, secret = created.stdout.splitlines()
    assert TOKEN.fullmatch(secret)
    assert explanation and not any(secret in line for line in explanation)
    with database(env) as connection:
        stored = connection.execute("SELECT token_hash, prefix, name FROM api_tokens").fetchall()
        rows = [
            *connection.execute("SELECT * FROM api_tokens"),
            *connection.execute("SELECT * FROM audit_events"),
        ]
    assert (hashlib.sha256(secret.encode()).hexdigest(), secret[:12], "lab import") in stored
    assert not any(secret in str(row) for row in rows)


def test_tokens_list_and_revoke(env: dict[str, str]) -> None:
    edc(env, "users add rev@cli.test --role monitor")
    secret = edc(env, "tokens create rev@cli.test").stdout.splitlines()[-1]
    prefix = secret[:12]

    before = edc(env, "tokens list rev@cli.test")
    revoked = edc(env, f"tokens revoke {prefix}")
    after = edc(env, "tokens list rev@cli.test")

    assert secret not in before.stdout
    assert table(before)[-1][1:3] == [prefix, "rev@cli.test"] and table(before)[-1][-1] == "active"
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.startswith("Token ") and f"({prefix}) revoked on" in revoked.stdout
    assert table(after)[-1][-1] == "revoked"
    assert_one_line_error(
        edc(env, "tokens revoke edc_nothing1"),
        "no API token with id or prefix 'edc_nothing1' (see `edc tokens list`)",
    )


def test_a_database_without_tables_is_a_one_line_error(env: dict[str, str], tmp_path: Path) -> None:
    (tmp_path / "empty.db").touch()  # a database, but never migrated
    empty = {**env, "EDC_DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"}

    assert_one_line_error(
        edc(empty, "tokens list"),
        "database error: no such table: api_tokens (has `edc db upgrade` been run?)",
    )


@pytest.mark.parametrize(
    ("command", "explanation"),
    [
        ("users add", "asked twice at a terminal, else generated and printed once"),
        ("users list", "whether they can sign in"),
        ("users set-role", "the site that goes with it"),
        ("users deactivate", "Their history and audit trail stay"),
        ("tokens create", "alone on the last line of output"),
        ("tokens list", "never the secrets"),
        ("tokens revoke", "refused from now on"),
    ],
)
def test_every_command_explains_itself(env: dict[str, str], command: str, explanation: str) -> None:
    helped = edc({**env, "COLUMNS": "200"}, f"{command} --help")

    assert helped.returncode == 0, helped.stderr
    assert explanation in " ".join(helped.stdout.split())
