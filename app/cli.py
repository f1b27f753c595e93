"""The `edc` command: one Typer app, each capability adds its own group."""

import typer

from app.core.cli import db_app, serve
from app.forms.cli import forms_app

cli = typer.Typer(
    help="Multi-site clinical data collection: study definitions, records, uploads and exports.",
    no_args_is_help=True,
    # Locals can hold database URLs with passwords; keep them out of tracebacks.
    pretty_exceptions_show_locals=False,
)
cli.add_typer(forms_app, name="forms")
cli.add_typer(db_app, name="db")
cli.command("serve")(serve)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
