"""`edc forms ...`: check, describe, diff and REDCap interchange of study definitions."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.core.cli_context import fail
from app.forms.compile import load_study
from app.forms.model import CompiledStudy
from app.forms.problems import DefinitionError

forms_app = typer.Typer(help="Work with study definitions (the YAML files in forms/).", no_args_is_help=True)

DirArg = Annotated[Path, typer.Argument(help="Folder holding study.yaml and one YAML file per form.")]


def _load_or_exit(directory: Path) -> CompiledStudy:
    try:
        return load_study(directory)
    except DefinitionError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"{len(exc.problems)} problem(s) in {directory}", err=True)
        raise typer.Exit(1) from None


@forms_app.command()
def check(directory: DirArg = Path("forms")) -> None:
    """Check a study definition: exit 0 when valid, else print `file:line: message` per problem and exit 1."""
    study = _load_or_exit(directory)
    fields = sum(len(f.fields) for f in study.forms.values())
    typer.echo(
        f"{directory}: study '{study.spec.id}' version {study.version}: {len(study.forms)} forms, "
        f"{fields} fields, {len(study.derived)} derived variables, {len(study.spec.sites)} sites: OK"
    )


@forms_app.command()
def describe(
    directory: DirArg = Path("forms"),
    out: Annotated[Path, typer.Option("--out", help="File to write: .html or .md (Markdown).")] = Path(
        "codebook.html"
    ),
    lang: Annotated[str, typer.Option(help="Language of the labels (one of the study's).")] = "en",
) -> None:
    """Write a readable codebook of every form, field, range, rule and derived variable."""
    from app.forms.describe import write_codebook

    study = _load_or_exit(directory)
    if lang not in study.spec.languages:
        typer.echo(
            f"language '{lang}' is not one of the study's: {', '.join(study.spec.languages)}", err=True
        )
        raise typer.Exit(2)
    write_codebook(study, out, lang)
    typer.echo(f"wrote {out}")


@forms_app.command()
def diff(
    old: Annotated[Path, typer.Argument(help="Folder of the older definition.")],
    new: Annotated[Path, typer.Argument(help="Folder of the newer definition.")],
) -> None:
    """List the changes between two definitions; exit 1 when a change breaks existing data."""
    from app.forms.diff import diff_studies

    changes = diff_studies(_load_or_exit(old), _load_or_exit(new))
    if not changes:
        typer.echo("no changes")
        return
    for change in changes:
        typer.echo(str(change))
    breaking = sum(1 for c in changes if c.breaking)
    typer.echo(f"{len(changes)} change(s), {breaking} breaking existing data")
    if breaking:
        raise typer.Exit(1)


@forms_app.command("import-redcap")
def import_redcap(
    dictionary: Annotated[
        Path, typer.Argument(help="A REDCap data dictionary (CSV, the 18 standard columns).")
    ],
    out: Annotated[Path, typer.Option("--out", help="Folder to write the study definition into.")],
    study_id: Annotated[
        str | None, typer.Option("--id", help="Study id (default: the dictionary's folder name).")
    ] = None,
) -> None:
    """Turn a REDCap data dictionary into a study definition folder."""
    from app.forms.redcap.errors import RedcapError
    from app.forms.redcap.importer import import_dictionary

    try:
        report = import_dictionary(dictionary, out, study_id)
    except RedcapError as exc:
        fail(str(exc))
    for warning in report.warnings:
        typer.echo(f"warning: {warning}", err=True)
    if not report.ok:
        typer.echo(f"the imported definition in {out} does not pass `edc forms check`", err=True)
        raise typer.Exit(1)
    typer.echo(f"wrote {report.forms} form(s), {report.fields} field(s) to {out}")


@forms_app.command("export-redcap")
def export_redcap(
    directory: DirArg,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")],
    lang: Annotated[str | None, typer.Option(help="Language of labels (default: the study's first).")] = None,
) -> None:
    """Write a study definition as a REDCap data dictionary."""
    from app.forms.redcap.errors import RedcapError
    from app.forms.redcap.exporter import export_dictionary

    study = _load_or_exit(directory)
    try:
        warnings = export_dictionary(study, out, lang or study.spec.languages[0])
    except (RedcapError, OSError) as exc:
        fail(str(exc))
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    typer.echo(f"wrote {out}")
