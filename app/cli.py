"""The `edc` command: one Typer app, each capability adds its own group."""

from typing import Any

import typer

from app.audit.cli import audit_app
from app.auth.cli import tokens_app, users_app
from app.core.cli import db_app, serve
from app.demo.cli import demo
from app.exports.cli import exports_cli
from app.forms.cli import forms_app
from app.pseudonymise.cli import pseudonymise
from app.uploads.cli import upload, worker

cli = typer.Typer(
    # Plain help, for every command below it: rich help marks each on/off flag `<bool>`.
    rich_markup_mode=None,
    help="Multi-site clinical data collection: study definitions, records, uploads and exports.",
    no_args_is_help=True,
    # Locals can hold database URLs with passwords; keep them out of tracebacks.
    pretty_exceptions_show_locals=False,
)
cli.add_typer(forms_app, name="forms")
cli.add_typer(db_app, name="db")
cli.add_typer(users_app, name="users")
cli.add_typer(tokens_app, name="tokens")
cli.add_typer(audit_app, name="audit")
cli.command("serve")(serve)
cli.command("demo")(demo)
cli.command("upload")(upload)
cli.command("worker")(worker)
cli.command("pseudonymise")(pseudonymise)
cli.add_typer(exports_cli)  # edc export, edc quality, edc summary


def plain_metavars(command: Any) -> None:
    """Help names each value after its option, `--url URL`, as Unix help does, where this typer names
    it after its Python type (`--url <str>`), which tells a user nothing. Choices keep their list.
    Only public parameter attributes are set, so a later typer at worst shows its own names."""
    for param in getattr(command, "params", []):
        described = getattr(param, "type_descriptor", None)
        if getattr(param, "is_flag", False) or getattr(described, "is_choice", False):
            continue
        if getattr(param, "metavar", "") is None and param.name:
            param.metavar = param.name.upper()
    for sub in getattr(command, "commands", {}).values():
        plain_metavars(sub)


def main() -> None:
    command = typer.main.get_command(cli)
    plain_metavars(command)
    command(prog_name="edc")


if __name__ == "__main__":
    main()
