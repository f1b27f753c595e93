"""`edc pseudonymise`: the step that runs at the site, offline, before anything is uploaded."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn, TimeRemainingColumn
from rich.table import Table

from app.core.settings import get_settings
from app.forms.loader import STUDY_FILE
from app.forms.model import CompiledStudy
from app.pseudonymise.errors import IdentifierFound, ProfileError, PseudonymiseError
from app.pseudonymise.keys import key_file_warning, new_key
from app.pseudonymise.service import LINKAGE_SUFFIX, Summary
from app.pseudonymise.service import pseudonymise as run

T = TypeVar("T")


class _Bar:
    """A rich progress bar on the terminal, while the extract is read."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.progress.stop()

    def start(self, label: str, total: int | None) -> None:
        if self.task is None:
            self.task = self.progress.add_task(f"reading {label}", total=total)
        else:
            self.progress.update(self.task, description=f"reading {label}", total=total, completed=0)

    def advance(self, amount: int) -> None:
        if self.task is not None:
            self.progress.advance(self.task, amount)


def _summary(console: Console, summary: Summary) -> None:
    table = Table(title=f"{summary.site}: {summary.patients} patient(s)", show_edge=False)
    table.add_column("rows")
    table.add_column("count", justify="right")
    for what, count in summary.rows.items():
        table.add_row(f"{what} (one per patient)" if what == "once-forms" else what, str(count))
    console.print(table)
    typer.echo(f"wrote {summary.out} (upload this file)")
    typer.echo(f"wrote {summary.linkage} (pseudonym -> MRN: keep it at the site, never upload it)")


def pseudonymise(
    extract: Annotated[
        Path | None, typer.Argument(help="The local extract: a file, or a folder of CSV files.")
    ] = None,
    profile: Annotated[
        Path | None, typer.Option("--profile", help="The site profile (site_exports/SITE.yaml).")
    ] = None,
    key_file: Annotated[Path | None, typer.Option("--key-file", help="The site's secret key (hex).")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="The canonical upload file to write (CSV).")
    ] = None,
    linkage: Annotated[
        Path | None, typer.Option("--linkage", help=f"Linkage file to write (default: OUT{LINKAGE_SUFFIX}).")
    ] = None,
    new_key_file: Annotated[
        Path | None,
        typer.Option(
            "--new-key", help="Make a new secret key in this file (mode 0600, never overwritten) and stop."
        ),
    ] = None,
) -> None:
    """Pseudonymise a local extract, at the site and offline, into the canonical upload file.

    The site profile (site_exports/SITE.yaml) says how the extract is stored (CSV, Excel, JSON lines, a
    folder of CSV files or a REDCap export), which local columns become which study variables, how values
    and units are converted, and which columns are direct identifiers.

    What the step does: the MRN becomes a pseudonym, HMAC-SHA256 with the site's secret key (the key
    never leaves the site; make one with --new-key); every calendar date becomes a study day relative to
    the patient's CAR-T infusion (day 0, the day before is -1); the date of birth becomes the age at
    infusion in whole years (top-coded, 90 by default) and the infusion date its year; every identifier
    column is dropped. Output: REDCap's flat format (one row per patient for the once-forms, one per
    repeating instance; record_id blank, redcap_data_access_group the profile's site, site_pseudonym
    set), UTF-8, byte-identical for the same input and key. A linkage file (pseudonym -> MRN, default:
    OUT.linkage-KEEP-AT-SITE.csv) is written for the site to keep.

    Nothing is written when the extract does not match the profile, a value or date cannot be converted,
    an infusion date is missing, or any name, MRN, national ID or calendar date of the input (or anything
    shaped like one) would reach the output: the problems are listed with their file, row and column.

    Once per site: `edc pseudonymise --new-key site.key` (back it up: a lost key means new pseudonyms).
    Then, for each extract: `edc pseudonymise extract.csv --profile site_exports/HCB.yaml --key-file site.key
    --out upload.csv`, and upload upload.csv with `edc upload`.

    The study definition is read from EDC_FORMS_DIR (default: forms, in the folder the command runs in).
    """
    if new_key_file is not None:
        if any(v is not None for v in (extract, profile, key_file, out, linkage)):
            typer.echo("error: --new-key makes a key and nothing else", err=True)
            raise typer.Exit(2)
        _run(lambda: new_key(new_key_file))
        typer.echo(f"wrote a new key to {new_key_file}: keep it at the site, back it up, never send it")
        return
    if extract is None or profile is None or key_file is None or out is None:
        typer.echo(
            "error: give LOCAL_EXTRACT, --profile, --key-file and --out (or --new-key KEYFILE)", err=True
        )
        raise typer.Exit(2)
    study = _study()
    if key_file.is_file() and (warning := key_file_warning(key_file)):
        typer.echo(f"warning: {warning}", err=True)
    with _Bar(Console(stderr=True)) as bar:
        summary = _run(lambda: run(extract, profile, key_file, out, study, linkage, bar))
    _summary(Console(), summary)


def _study() -> CompiledStudy:
    """The study definition, with what to do when there is none where the step looks for it."""
    from app.core.cli_context import configured_study

    directory = get_settings().forms_dir
    if not (directory / STUDY_FILE).is_file():
        why = f"no {STUDY_FILE} there" if directory.is_dir() else "no such folder"
        typer.echo(
            f"error: no study definition in '{directory}' ({why}): run from the project folder or set "
            "EDC_FORMS_DIR to the folder of the study definition",
            err=True,
        )
        raise typer.Exit(1)
    return configured_study()


def _run(step: Callable[[], T]) -> T:
    try:
        return step()
    except PseudonymiseError as exc:
        heading = {
            ProfileError: "the profile has problems",
            IdentifierFound: "refused: direct identifiers would reach the output",
        }.get(type(exc), "error")
        typer.echo(f"{heading}:", err=True)
        for line in exc.lines:
            typer.echo(f"  {line}", err=True)
        typer.echo("nothing was written", err=True)
        raise typer.Exit(1) from None


def _unwrap(text: str) -> str:
    """One line per paragraph, so that the terminal wraps the help, not the source file's width."""
    return "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(text).split("\n\n"))


pseudonymise.__doc__ = _unwrap(pseudonymise.__doc__ or "")
