"""Benchmark: exporting 10,000 synthetic patients with the full CRF in every format.

Targets (issue #6): all formats under 30 s, CSV and Parquet alone under 3 s, peak memory under 1 GB.
Baseline in the same run: a bare polars `write_csv` of the same, already-built tables.
Each timed export is the whole service call (read, derive, write, hash, audit) in its own transaction;
peak memory is the maximum resident size of a child process running the all-formats export.

    .venv/bin/python bench/export_bench.py [--patients N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from app.auth.actor import SYSTEM  # noqa: E402
from app.auth.service import actor_for_user, add_user  # noqa: E402
from app.core import migrations  # noqa: E402
from app.core.database import make_engine, make_session_factory  # noqa: E402
from app.demo.synthetic import form_values  # noqa: E402
from app.forms.compile import load_study  # noqa: E402
from app.forms.engine import PatientData, validate  # noqa: E402
from app.forms.model import CForm, CompiledStudy  # noqa: E402
from app.forms.stored import to_stored  # noqa: E402
from app.models import AuditEvent, FormData, Record, Site, User  # noqa: E402
from app.records.ids import make_record_id  # noqa: E402
from app.sites.service import sync_sites  # noqa: E402
from bench._server import print_machine  # noqa: E402

COORDINATOR = "coordinator@bench.example"
Rows = list[tuple[str, int, dict[str, str]]]


def _with_missing_codes(cform: CForm, raw: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """About one value in twenty of the fields that allow it becomes a missing-data code."""
    for name in list(raw):
        codes = sorted(cform.fields[name].missing_codes)
        if codes and rng.random() < 0.05:
            raw[name] = rng.choice(codes)
    return raw


def synthetic_patient(study: CompiledStudy, rng: random.Random) -> Rows:
    patient = PatientData()
    rows: Rows = []
    for cform in study.forms.values():
        for number in range(1, (rng.randint(1, 3) if cform.repeating else 1) + 1):
            instance = number if cform.repeating else None
            raw = _with_missing_codes(cform, form_values(study, cform, rng, patient, instance), rng)
            result = validate(study, cform.name, raw, patient=patient, instance=instance)
            if not result.ok:
                continue
            both = {**result.values, **result.computed}
            typed = {k: v for k, v in both.items() if v is not None}
            if cform.repeating:
                patient.repeating.setdefault(cform.name, {})[number] = typed
            else:
                patient.once[cform.name] = typed
            rows.append((cform.name, number, to_stored(both)))
    return rows


def populate(url: str, study: CompiledStudy, patients: int, pool_size: int = 1000) -> None:
    """`patients` records made from a pool of distinct synthetic patients, bulk inserted."""
    rng = random.Random(7)
    pool = [synthetic_patient(study, rng) for _ in range(min(pool_size, patients))]
    now = datetime.now(UTC)
    engine = make_engine(url)
    with make_session_factory(engine).begin() as session:
        sync_sites(session, study)
        add_user(session, SYSTEM, COORDINATOR, "coordinator", None, None)
        sites = {s.code: s.id for s in session.scalars(select(Site))}
        codes = sorted(sites)
        seq = dict.fromkeys(codes, 0)
        records = []
        for i in range(patients):
            code = codes[i % len(codes)]
            seq[code] += 1
            records.append(
                {"record_id": make_record_id(code, seq[code]), "site_id": sites[code], "created_at": now}
            )
        session.execute(insert(Record), records)
        for code, last in seq.items():
            session.execute(update(Site).where(Site.code == code).values(last_record_seq=last))
        ids = {record_id: pk for record_id, pk in session.execute(select(Record.record_id, Record.id))}
        _insert_forms(session, study, [(r["record_id"], ids[r["record_id"]]) for r in records], pool, now)
    engine.dispose()


def _insert_forms(
    session: Session, study: CompiledStudy, records: list[tuple[str, int]], pool: list[Rows], now: datetime
) -> None:
    forms, events = [], []
    tail = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))
    for i, (record_id, pk) in enumerate(records):
        for form, number, data in pool[i % len(pool)]:
            forms.append(
                {
                    "record_pk": pk,
                    "form": form,
                    "instance": number,
                    "data": data,
                    "status": "complete",
                    "definition_version": study.version,
                    "version": 1,
                    "updated_at": now,
                }
            )
            n = len(events)
            events.append(
                {
                    "at": now,
                    "action": "form_created",
                    "actor_id": None,
                    "actor": "bench",
                    "role": "site_entry",
                    "site": record_id.split("-")[0],
                    "source": "bench",
                    "record_id": record_id,
                    "form": form,
                    "instance": number,
                    "changes": [{"field": k, "old": None, "new": v} for k, v in data.items()],
                    "reason": None,
                    "prev_hash": f"{n:064x}" if n else tail,
                    "hash": f"{n + 1:064x}",
                }
            )
    for start in range(0, len(forms), 20000):
        session.execute(insert(FormData), forms[start : start + 20000])
        session.execute(insert(AuditEvent), events[start : start + 20000])


def _export(url: str, study: CompiledStudy, out: Path, formats: tuple[str, ...]) -> float:
    from app.exports.options import ExportOptions
    from app.exports.service import run_export

    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            user = session.scalar(select(User).where(User.email == COORDINATOR))
            assert user is not None
            actor = actor_for_user(session, user, "bench")
            start = time.perf_counter()
            run_export(session, study, actor, ExportOptions(out=out, formats=formats))
            return time.perf_counter() - start
    finally:
        engine.dispose()


def _baseline(url: str, study: CompiledStudy, out: Path) -> tuple[float, float, float]:
    """One snapshot (read and derive, timed), then our CSV writer and a bare polars write_csv of it."""
    from app.exports.formats.tabular import write_csv
    from app.exports.options import ExportOptions, checked
    from app.exports.plan import make_plan
    from app.exports.service import paused_gc
    from app.exports.snapshot import take_snapshot

    engine = make_engine(url)
    with make_session_factory(engine)() as session, paused_gc():
        user = session.scalar(select(User).where(User.email == COORDINATOR))
        assert user is not None
        options = checked(study, ExportOptions(out=out, formats=("csv",)))
        start = time.perf_counter()
        snapshot = take_snapshot(session, study, actor_for_user(session, user, "bench"), options)
        read = time.perf_counter() - start
    engine.dispose()
    out.mkdir(parents=True)
    start = time.perf_counter()
    for table in snapshot.tables:
        table.frame.write_csv(out / f"bare-{table.name}.csv")
    bare = time.perf_counter() - start
    start = time.perf_counter()
    write_csv(make_plan(snapshot), out)
    return read, bare, time.perf_counter() - start


def _peak_memory(url: str, out: Path) -> float:
    """Peak resident memory (MB) of a child process running the all-formats export."""
    subprocess.run([sys.executable, __file__, "--child", url, str(out)], check=True)
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--database-url", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--child", nargs=2, metavar=("URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    study = load_study(REPO / "forms")
    if args.child:
        _export(args.child[0], study, Path(args.child[1]), ())
        return
    print_machine()
    with tempfile.TemporaryDirectory(prefix="edc-export-bench-") as scratch:
        folder = Path(scratch)
        url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
        migrations.upgrade(url, "head")
        start = time.perf_counter()
        populate(url, study, args.patients)
        backend = url.split(":")[0]
        print(
            f"{args.patients} synthetic patients inserted in {time.perf_counter() - start:.1f} s ({backend})"
        )
        from app.exports.options import FORMATS

        results = {fmt: _export(url, study, folder / f"only-{fmt}", (fmt,)) for fmt in FORMATS}
        results["csv+parquet"] = _export(url, study, folder / "csv-parquet", ("csv", "parquet"))
        results["all formats"] = _export(url, study, folder / "all", ())
        read, bare, ours = _baseline(url, study, folder / "baseline")
        peak = _peak_memory(url, folder / "child")
        for name, seconds in results.items():
            print(f"  {name:12} {seconds:6.2f} s   (whole export: read, derive, write, hash, audit)")
        print(f"  of which reading the database and deriving the variables: {read:.2f} s")
        print(
            f"  baseline: bare polars write_csv of the built tables {bare:.2f} s; our CSV writer {ours:.2f} s"
        )
        print(f"  peak memory of the all-formats export: {peak:.0f} MB")
        checks = {
            "all formats < 30 s": results["all formats"] < 30,
            "CSV + Parquet < 3 s": results["csv+parquet"] < 3,
            "peak memory < 1 GB": peak < 1024,
        }
        print("  targets: " + ", ".join(f"{k}: {'ok' if v else 'MISSED'}" for k, v in checks.items()))
        print(
            json.dumps({"seconds": results, "read_derive": read, "baseline_write_csv": bare, "peak_mb": peak})
        )


if __name__ == "__main__":
    main()
