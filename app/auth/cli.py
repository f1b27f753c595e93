"""`edc users ...` and `edc tokens ...`: accounts and API tokens, managed from the server's shell.

Every change is audited with the SYSTEM actor (source "cli").
"""

import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Annotated

import typer

from app.auth import passwords, service, tokens
from app.auth.actor import SYSTEM, Role
from app.core.cli_context import configured_study, fail, transaction
from app.core.errors import DomainError
from app.models import ApiToken, User
from app.sites.service import sync_sites

users_app = typer.Typer(
    help="Manage the people who sign in: add them, change their role, deactivate them.",
    no_args_is_help=True,
)
tokens_app = typer.Typer(
    help="Manage API tokens: secrets that act as a user on the JSON API (Authorization: Bearer ...).",
    no_args_is_help=True,
)

EmailArg = Annotated[str, typer.Argument(help="The user's email address (case does not matter).")]
RoleHelp = (
    f"One of: {', '.join(Role)}. site_entry and site_manager need --site; the others must not have one."
)
SiteOption = Annotated[
    str | None, typer.Option("--site", help="Code of the user's site, as listed in the study's study.yaml.")
]


@users_app.command("add")
def add_user(
    email: EmailArg,
    role: Annotated[str, typer.Option("--role", help=RoleHelp)],
    site: SiteOption = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of stdin.")
    ] = False,
    language: Annotated[
        str, typer.Option("--language", help="Language of the user's pages: one of the study's languages.")
    ] = "en",
) -> None:
    """Add a user who can sign in to the pages and own API tokens.

    Without --password-stdin the password is asked twice at a terminal, else generated and printed once.

    Passwords need at least 10 characters.
    """
    study = configured_study()
    if language not in study.spec.languages:
        fail(f"unknown language '{language}' (the study's languages: {', '.join(study.spec.languages)})")
    try:
        service.check_role_and_site(role, site)
    except DomainError as exc:
        fail(exc.detail)
    password, generated = _read_password(password_stdin)
    with transaction() as session:
        sync_sites(session, study)
        user = service.add_user(session, SYSTEM, email, role, site, password, language=language)
        described = _describe(user.role, site)
    typer.echo(f"Added {user.email}, {described}.")
    if generated:
        typer.echo(f"Generated password (shown only now): {password}")


@users_app.command("list")
def list_users() -> None:
    """List every user with role, site, language and whether they can sign in."""
    with transaction() as session:
        users = service.list_users(session)
        rows = [
            [user.email, user.role, user.site.code if user.site else "-", user.language, _status(user)]
            for user in users
        ]
    _print_table(["EMAIL", "ROLE", "SITE", "LANGUAGE", "STATUS"], rows)


@users_app.command("set-role")
def set_role(
    email: EmailArg,
    role: Annotated[str, typer.Argument(help=RoleHelp)],
    site: SiteOption = None,
) -> None:
    """Give a user another role, and the site that goes with it (site roles only)."""
    study = configured_study()
    with transaction() as session:
        sync_sites(session, study)
        user = service.set_role(session, SYSTEM, email, role, site)
        described = _describe(user.role, site)
    typer.echo(f"{user.email} is now {described}.")


@users_app.command("deactivate")
def deactivate(email: EmailArg) -> None:
    """Stop a user signing in and their API tokens working. Their history and audit trail stay."""
    with transaction() as session:
        user = service.deactivate_user(session, SYSTEM, email)
    typer.echo(f"{user.email} is deactivated.")


@tokens_app.command("create")
def create_token(
    email: Annotated[str, typer.Argument(help="Email of the user the token acts as.")],
    name: Annotated[str, typer.Option(help="A note saying what the token is for.")] = "",
    expires_days: Annotated[
        int | None, typer.Option(help="Days until the token stops working; default: never.")
    ] = None,
) -> None:
    """Make an API token for a user and print it once, alone on the last line of output.

    Only a hash is kept: a lost token cannot be shown again; revoke it and make another.
    """
    with transaction() as session:
        token, secret = tokens.create_token(session, SYSTEM, email, name, expires_days)
        expires = service.show_time(token.expires_at) if token.expires_at else "never"
        summary = (
            f"Token {token.id} ({token.prefix}) for {service.normalise_email(email)}, expires: {expires}."
        )
    typer.echo(summary)
    typer.echo("Send it as 'Authorization: Bearer <token>'. Copy it now: it is not shown again.")
    typer.echo(secret)


@tokens_app.command("list")
def list_tokens(
    email: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
) -> None:
    """List API tokens (ids and prefixes, never the secrets) with their state."""
    with transaction() as session:
        rows = [
            [
                str(token.id),
                token.prefix,
                token.user.email,
                token.name or "-",
                _time(token.created_at),
                _time(token.expires_at),
                _time(token.last_used_at),
                _token_status(token),
            ]
            for token in tokens.list_tokens(session, email)
        ]
    _print_table(["ID", "PREFIX", "USER", "NAME", "CREATED", "EXPIRES", "LAST USED", "STATUS"], rows)


@tokens_app.command("revoke")
def revoke_token(
    token: Annotated[str, typer.Argument(help="The token's id or prefix, as `edc tokens list` shows.")],
) -> None:
    """Revoke an API token: requests sending it are refused from now on."""
    with transaction() as session:
        revoked = tokens.revoke_token(session, SYSTEM, token)
        shown = f"Token {revoked.id} ({revoked.prefix}) revoked on {_time(revoked.revoked_at)}."
    typer.echo(shown)


def _read_password(from_stdin: bool) -> tuple[str, bool]:
    """The password and whether it was generated (and so must be shown once)."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            fail("--password-stdin given but stdin held no password")
        return password, False
    if sys.stdin.isatty():
        entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return entered, False
    return passwords.generate_password(), True


def _describe(role: str, site_code: str | None) -> str:
    return f"{role} at site {site_code}" if site_code else f"{role} (every site)"


def _status(user: User) -> str:
    if not user.active:
        return "deactivated"
    if user.locked_until is not None and user.locked_until > datetime.now(UTC):
        return f"locked until {service.show_time(user.locked_until)}"
    return "active"


def _token_status(token: ApiToken) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if not token.user.active:
        return "user deactivated"
    if token.expires_at is not None and token.expires_at <= datetime.now(UTC):
        return "expired"
    return "active"


def _time(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "-"


def _print_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    if not rows:
        typer.echo("(none)")
        return
    widths = [max(len(row[column]) for row in [headers, *rows]) for column in range(len(headers))]
    for row in [headers, *rows]:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
