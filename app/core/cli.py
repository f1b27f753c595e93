"""`edc db ...` and `edc serve`: the database schema and the web server."""

from typing import Annotated

import typer
import uvicorn
from sqlalchemy import make_url

from app.core import migrations
from app.core.cli_context import fail, require_current_database
from app.core.settings import get_settings

db_app = typer.Typer(
    help="Manage the database schema (Alembic migrations in migrations/).", no_args_is_help=True
)


@db_app.command("upgrade")
def upgrade(
    revision: Annotated[
        str, typer.Option(help="Alembic revision to upgrade to; 'head' is the newest.")
    ] = "head",
) -> None:
    """Create or update the tables of the database named by EDC_DATABASE_URL.

    Safe to run repeatedly: revisions already applied are skipped.

    The default is ./edc.db (SQLite); for PostgreSQL use postgresql+psycopg://user@host/db.
    """
    url = get_settings().database_url
    try:
        migrations.upgrade(url, revision)
    except migrations.MigrationsNotFound as error:
        fail(str(error))
    shown = make_url(url).render_as_string(hide_password=True)
    typer.echo(f"Database {shown} upgraded to {revision}.")


def serve(
    host: Annotated[
        str, typer.Option(help="Interface to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port to listen on.")] = 8000,
) -> None:
    """Run the web application (pages and JSON API) with uvicorn.

    Reads its configuration from EDC_* environment variables; run `edc db upgrade` first.
    """
    require_current_database()
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port)
