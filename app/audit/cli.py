"""`edc audit verify`: recompute the hash chain and name the first event that does not match."""

import typer
from sqlalchemy import make_url

from app.audit.service import verify
from app.core.cli_context import transaction
from app.core.settings import get_settings

audit_app = typer.Typer(help="Check the tamper-evident audit trail.", no_args_is_help=True)


@audit_app.command("verify")
def verify_command() -> None:
    """Recompute every event's hash and link. Exit 0 when the chain is intact, 1 naming the first break."""
    with transaction() as session:
        checked, broken = verify(session)
    where = make_url(get_settings().database_url).render_as_string(hide_password=True)
    if broken is not None:
        typer.echo(f"BROKEN: {broken} ({checked} events before it are intact) in {where}", err=True)
        raise typer.Exit(1)
    typer.echo(f"audit trail intact: {checked} events verified in {where}")
