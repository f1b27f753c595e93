"""`edc upload` (a site sends a file to the platform) and `edc worker` (runs queued uploads)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from app.core.cli_context import configured_study, require_current_database
from app.core.database import make_engine, make_session_factory
from app.core.settings import get_settings

CHUNK = 1 << 16


def _chunks(path: Path, progress: Progress, task: Any) -> Iterator[bytes]:
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            progress.update(task, advance=len(chunk))
            yield chunk


def _multipart(path: Path, progress: Progress, task: Any) -> tuple[Iterator[bytes], str]:
    boundary = "edc-upload-boundary-7b1f0c3e"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from _chunks(path, progress, task)
        yield tail

    return body(), f"multipart/form-data; boundary={boundary}"


def _summary(report: dict[str, Any]) -> str:
    if report["dry_run"]:
        note = " (dry run: nothing stored)"
    elif report["status"] == "rejected":
        note = " (nothing stored: fix the problems below and upload the whole file again)"
    elif report["status"] == "done" and not any(
        report.get(k) for k in ("created", "updated", "patients_created", "completed")
    ):
        note = " (nothing changed: every entry is already stored as the file has it)"
    else:
        note = ""
    would = "would be " if report["dry_run"] or report["status"] == "rejected" else ""
    lines = [
        f"{report['filename']}: {report['status']}{note}",
        f"  form entries {would}created {report['created']}, updated {report['updated']}, "
        f"unchanged {report['unchanged']}; new patients {report['patients_created']}; "
        f"rejected rows {report['rejected']}",
    ]
    new_patients = report.get("new_patients") or []
    if new_patients:
        lines.append(
            "  new patients, site pseudonym -> study ID (your linkage file maps the pseudonym to the MRN):"
        )
        lines += [f"    row {p['row']}: {p['site_pseudonym']} -> {p['record_id']}" for p in new_patients[:50]]
        if len(new_patients) > 50:
            lines.append(f"    ... and {len(new_patients) - 50} more: --json lists them all")
    if report.get("completed"):
        lines.append(
            f"  form entries {would}marked complete by their _complete column: {report['completed']}"
        )
    if report.get("queries_opened"):
        lines.append(f"  data queries {would}opened by warning checks: {report['queries_opened']}")
    if report.get("queries_answered"):
        lines.append(
            f"  data queries {would}answered because their check now passes: {report['queries_answered']}"
        )
    if report.get("ignored_columns"):
        shown = ", ".join(report["ignored_columns"])
        lines.append(f"  calculated columns read past (the platform computes them): {shown}")
    for error in report["errors"][:50]:
        # Keys as in the report's columns, whatever the language of the message.
        where = " ".join(
            f"{k}={error[k]!r}" if k == "value" else f"{k}={error[k]}"
            for k in ("row", "record", "form", "instance", "field", "value")
            if error.get(k)
        )
        lines.append(f"  {where}: {error['message']}")
    if len(report["errors"]) > 50:
        lines.append(f"  ... and {len(report['errors']) - 50} more: see {report['report_csv_url']}")
    return "\n".join(lines)


def upload(
    file: Annotated[
        Path,
        typer.Argument(
            help="The file to send: REDCap flat CSV, JSON or XLSX.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ],
    url: Annotated[str, typer.Option(help="The platform's address, e.g. https://edc.example.org.")],
    token: Annotated[str, typer.Option(help="Your API token (`edc tokens create`).", envvar="EDC_TOKEN")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate everything, store nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Upload a site extract (after `edc pseudonymise`). The upload is all or nothing: every problem
    is listed with its row, record, form, field and value, and nothing is stored unless there is none.

    A blank cell clears the stored value: leave a column out to keep what is stored.

    Uploading the same file again changes nothing.

    Exit code: 0 stored (or dry run clean), 1 rejected, 2 could not be sent."""
    headers = {"Authorization": f"Bearer {token}"}
    size = file.stat().st_size
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    try:
        with (
            Progress(*columns, transient=True, disable=as_json) as progress,
            httpx.Client(base_url=url, headers=headers, timeout=600) as client,
        ):
            task = progress.add_task("Uploading", total=size)
            body, content_type = _multipart(file, progress, task)
            response = client.post(
                "/api/v1/uploads",
                params={"dry_run": str(dry_run).lower()},
                content=body,
                headers={"Content-Type": content_type},
            )
            if response.status_code == 202:
                response = _wait(client, response.json(), progress)
    except httpx.HTTPError as exc:
        typer.echo(f"error: could not reach {url}: {exc}", err=True)
        raise typer.Exit(2) from None
    if response.status_code not in (200, 422) or "status" not in response.json():
        typer.echo(f"error: {response.status_code} {response.json().get('detail', response.text)}", err=True)
        raise typer.Exit(2)
    report = response.json()
    typer.echo(json.dumps(report, indent=2) if as_json else _summary(report))
    if report["status"] != "done":
        raise typer.Exit(1)


def _wait(client: httpx.Client, queued: dict[str, Any], progress: Progress) -> httpx.Response:
    task = progress.add_task("Processing (rows)", total=None)
    while True:
        response = client.get(queued["status_url"])
        state = response.json()
        progress.update(task, completed=state.get("rows_done", 0))
        if state.get("status") not in ("queued", "running"):
            return response
        time.sleep(1)


def worker(
    once: Annotated[bool, typer.Option("--once", help="Run what is queued now, then stop.")] = False,
) -> None:
    """Run queued uploads from the database named by EDC_DATABASE_URL (several workers may share it)."""
    from app.uploads.worker import Worker, work_once, worker_name

    study = configured_study()
    require_current_database()
    engine = make_engine(get_settings().database_url)
    sessions = make_session_factory(engine)
    try:
        if once:
            while work_once(sessions, study, worker_name()):
                pass
            return
        thread = Worker(sessions, study)
        thread.start()
        typer.echo("upload worker running; Ctrl-C stops")
        try:
            while thread.is_alive():
                thread.join(1)
        except KeyboardInterrupt:
            thread.stop()
    finally:
        engine.dispose()
