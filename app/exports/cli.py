"""`edc export`, `edc quality` and `edc summary`: the coordinating centre's datasets and reports.

The writers (polars, pandas, pyreadstat, lxml) are imported when a command runs, not when `edc` starts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.auth.service import actor_for_user, user_by_email
from app.core.cli_context import configured_study, fail, transaction
from app.core.errors import DomainError, Forbidden
from app.exports.options import FORMATS, ExportOptions, parse_top_code, split_list

exports_cli = typer.Typer()

UserOption = Annotated[
    str, typer.Option("--user", envvar="EDC_USER", help="Email of the user acting (a coordinator to export).")
]
SitesOption = Annotated[
    list[str] | None, typer.Option("--sites", help="Site codes, e.g. HCB,FHCC (default: all).")
]
TopCodeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--top-code",
        help="VARIABLE=N: values above N are shown as N, over the study's declared top-codes "
        "(e.g. VARIABLE=90); VARIABLE=none switches that variable's declared top-code off.",
    ),
]
NoTopCodeOption = Annotated[
    bool,
    typer.Option(
        "--no-top-code", help="Leave out the study's declared top-codes (--top-code still applies)."
    ),
]


def cli_actor(session: Session, email: str) -> Actor:
    """The named user as the acting user of a command; an inactive user may not act."""
    user = user_by_email(session, email)
    if not user.active:
        raise Forbidden(f"{user.email} is deactivated")
    return actor_for_user(session, user, "cli")


EXPORT_HELP = (
    "Write the merged dataset (patients + one table per repeating form), its codebook and a manifest."
    "\n\nFile names: patients.<ext>, <form>.<ext>, study.xlsx, study.R, odm.xml, datapackage.json, "
    "codebook.html and manifest.json (SHA-256 of every file). Unchanged data gives identical data files."
    "\n\nThe study's declared top-codes apply unless --top-code or --no-top-code says otherwise."
)


# The help is given whole (the docstring's line breaks would stay in the printed help).
@exports_cli.command("export", help=EXPORT_HELP)
def export(
    out: Annotated[Path, typer.Option("--out", help="Folder to create (or an empty one) for the files.")],
    user: UserOption,
    formats: Annotated[
        list[str] | None, typer.Option("--format", help=f"Any of {', '.join(FORMATS)} (default: all).")
    ] = None,
    sites: SitesOption = None,
    status: Annotated[
        str | None, typer.Option(help="Only form instances at least this far: complete or verified.")
    ] = None,
    lang: Annotated[str | None, typer.Option(help="Language of labels (default: the study's first).")] = None,
    drop_free_text: Annotated[
        bool, typer.Option("--drop-free-text", help="Leave out text and notes fields.")
    ] = False,
    top_code: TopCodeOption = None,
    no_top_code: NoTopCodeOption = False,
) -> None:
    """`edc export`: see EXPORT_HELP."""
    from app.exports.service import run_export

    study = configured_study()
    try:
        options = ExportOptions(
            out=out,
            formats=split_list(formats),
            sites=split_list(sites),
            status=status,
            lang=lang,
            drop_free_text=drop_free_text,
            top_code=parse_top_code(top_code),
            study_top_codes=not no_top_code,
        )
    except DomainError as exc:
        fail(exc.detail)
    with transaction() as session:
        result = run_export(session, study, cli_actor(session, user), options)
    by_site = ", ".join(f"{code} {n}" for code, n in result.site_counts.items())
    typer.echo(f"exported {result.patients} patients ({by_site}) to {result.folder}:")
    for name, digest in result.files.items():
        typer.echo(f"  {name:28} sha256 {digest}")
    for warning in result.warnings:
        typer.echo(f"warning: {warning}", err=True)


@exports_cli.command("quality")
def quality(
    out: Annotated[Path, typer.Option("--out", help="Folder for quality.html and quality.csv.")],
    user: UserOption,
    sites: SitesOption = None,
    lang: Annotated[str | None, typer.Option(help="Language of messages (default: the user's).")] = None,
) -> None:
    """Write the data-quality report per site: completeness, unexpected values, failing checks, queries."""
    from app.exports.quality.render import write_quality
    from app.exports.quality.report import quality_report

    study = configured_study()
    with transaction() as session:
        report = quality_report(session, study, cli_actor(session, user), split_list(sites), lang)
    try:
        written = write_quality(report, out)
    except OSError as exc:
        fail(f"cannot write the report in {out}: {exc.strerror}")
    typer.echo(
        f"{sum(report.patients.values())} patients, {len(report.findings)} findings, "
        f"{len(report.queries)} open queries: " + ", ".join(str(p) for p in written)
    )


@exports_cli.command("summary")
def summary(
    out: Annotated[Path, typer.Option("--out", help="Folder for summary.html and summary.csv.")],
    user: UserOption,
    by: Annotated[
        str | None,
        typer.Option(
            help="Coded variable to group by (default: the study setting summary_by), e.g. treatment_group."
        ),
    ] = None,
    variables: Annotated[
        list[str] | None,
        typer.Option("--vars", help="Variables of Table 1 (default: every coded/numeric one)."),
    ] = None,
    event: Annotated[
        str | None,
        typer.Option(help="0/1 variable of the event, e.g. trm (default: the study setting summary_event)."),
    ] = None,
    competing: Annotated[
        str | None, typer.Option(help="0/1 variable of the competing event, e.g. relapse.")
    ] = None,
    event_time: Annotated[str | None, typer.Option(help="Study day of the event.")] = None,
    competing_time: Annotated[
        str | None, typer.Option(help="Day of the competing event, e.g. relapse_day.")
    ] = None,
    censor_time: Annotated[
        str | None, typer.Option(help="Day of last follow-up, e.g. last_followup_day.")
    ] = None,
    at: Annotated[str, typer.Option(help="Days at which the incidence is reported.")] = "28,60",
    min_cell: Annotated[int, typer.Option(help="Suppress counts under N (0: none).")] = 0,
    sites: SitesOption = None,
    status: Annotated[str | None, typer.Option(help="complete or verified form instances only.")] = None,
    lang: Annotated[str | None, typer.Option(help="Language of labels (default: the study's first).")] = None,
    top_code: TopCodeOption = None,
    no_top_code: NoTopCodeOption = False,
    no_incidence: Annotated[
        bool, typer.Option("--no-incidence", help="Table 1 only, without the study's default incidence.")
    ] = False,
) -> None:
    """Write Table 1 by a grouping variable and the cumulative incidence of an event with a competing one.

    Without --event, the incidence is the one the study's settings name (summary_event and the
    summary_*_time settings), if any."""
    from app.exports.summary.render import write_summary
    from app.exports.summary.report import SummaryOptions, cohort_summary

    study = configured_study()
    try:
        days = tuple(int(day) for day in split_list([at]))
        options = SummaryOptions(
            by=by,
            variables=split_list(variables),
            event=event,
            competing=competing,
            event_time=event_time,
            competing_time=competing_time,
            censor_time=censor_time,
            days=days,
            min_cell=min_cell,
            sites=split_list(sites),
            status=status,
            lang=lang,
            top_code=parse_top_code(top_code),
            study_top_codes=not no_top_code,
            study_incidence=not no_incidence,
        )
    except (DomainError, ValueError) as exc:
        fail(exc.detail if isinstance(exc, DomainError) else f"--at wants days such as 28,60 ({exc})")
    with transaction() as session:
        result = cohort_summary(session, study, cli_actor(session, user), options)
    try:
        written = write_summary(result, out)
    except OSError as exc:
        fail(f"cannot write the summary in {out}: {exc.strerror}")
    typer.echo(f"{result.groups[0].n} patients summarised: " + ", ".join(str(p) for p in written))
