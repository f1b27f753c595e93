"""Benchmark: bulk upload of a synthetic cohort in the canonical REDCap flat CSV, end to end.

Target (issue: bulk upload): 10,000 patients with the full CRF at >= 2,000 patients/s on SQLite and
within 3x of the storage floor. The floor, measured in the same run, is a bare `executemany` of the
very rows the upload stored (patients, form instances, audit events, data queries and their
messages), read back and inserted into an empty copy of the schema in one committed transaction,
on a connection set up as the upload's (SQLite: the same page cache).

    .venv/bin/python bench/upload_bench.py [--patients N] [--backend sqlite|postgresql|both]
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import random
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from app.auth.service import actor_for_user  # noqa: E402
from app.core.database import BULK_CACHE_KIB, dumps_json, make_engine, make_session_factory  # noqa: E402
from app.demo.synthetic import form_values  # noqa: E402
from app.forms.compile import load_study  # noqa: E402
from app.forms.engine import PatientData, validate  # noqa: E402
from app.forms.model import CompiledStudy  # noqa: E402
from app.forms.redcap.flat import columns, to_row  # noqa: E402
from app.models import User  # noqa: E402
from app.uploads import jobs  # noqa: E402
from bench._server import REPO, database, postgres_available, print_machine, user_token  # noqa: E402

META = ["record_id", "redcap_repeat_instrument", "redcap_repeat_instance", "site_pseudonym"]


def cohort_csv(study: CompiledStudy, patients: int, path: Path) -> tuple[int, int]:
    """Write the cohort; return (rows, values)."""
    rng = random.Random(11)
    header = list(META)
    for cform in study.forms.values():
        header.extend(c for c in columns(study, cform.name) if c not in header and _is_input_column(study, c))
    rows = values = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        for _ in range(patients):
            key = uuid.UUID(int=rng.getrandbits(128)).hex * 2
            patient = PatientData()
            once: dict[str, str] = {"site_pseudonym": key}
            repeating: list[dict[str, str]] = []
            for cform in study.forms.values():
                for number in range(1, (rng.randint(1, 3) if cform.repeating else 1) + 1):
                    raw = form_values(study, cform, rng, patient, number if cform.repeating else None)
                    result = validate(study, cform.name, raw, patient=patient, instance=number)
                    if not result.ok:
                        continue
                    typed = {**result.values, **result.computed}
                    cells = to_row(study, cform.name, result.values)
                    values += sum(1 for v in result.values.values() if v is not None)
                    if cform.repeating:
                        patient.repeating.setdefault(cform.name, {})[number] = typed
                        repeating.append(
                            {
                                "site_pseudonym": key,
                                "redcap_repeat_instrument": cform.name,
                                "redcap_repeat_instance": str(number),
                                **cells,
                            }
                        )
                    else:
                        patient.once[cform.name] = typed
                        once.update(cells)
            writer.writerow(once)
            writer.writerows(repeating)
            rows += 1 + len(repeating)
    return rows, values


def _is_input_column(study: CompiledStudy, column: str) -> bool:
    name = column.split("___", 1)[0]
    return any(name in f.fields and f.fields[name].is_input for f in study.forms.values())


def run_upload(url: str, study: CompiledStudy, path: Path) -> tuple[float, dict[str, Any]]:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    start = time.perf_counter()
    with sessions.begin() as session:
        user = session.query(User).filter_by(email="bench@hcb.example").one()
        actor = actor_for_user(session, user, "bench")
        upload = jobs.register(session, actor, path, path.name, dry_run=False)
        report = jobs.process(session, study, actor, upload, path)
    elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed, report.counts() | {"errors_sample": report.errors[:3]}


# Tables in the order their foreign keys need; the upload writes the last five of them.
COPIED = [
    "sites",
    "users",
    "uploads",
    "records",
    "form_data",
    "audit_events",
    "data_queries",
    "query_messages",
]
WRITTEN = COPIED[3:]


def storage_floor(source_url: str, backend: str) -> float:
    """The fastest the database can store what this upload stored: the very rows it wrote (read back
    from its database), inserted into an empty copy of the schema by a bare DB-API `executemany`
    per table, and committed, as the upload commits."""
    source = make_engine(source_url)
    tables: dict[str, tuple[list[str], list[tuple[Any, ...]]]] = {}
    with source.connect() as connection:
        cursor = connection.connection.cursor()
        for table in COPIED:
            cursor.execute(f"SELECT * FROM {table}")
            names = [d[0] for d in cursor.description]
            tables[table] = (names, [tuple(_as_param(v) for v in row) for row in cursor.fetchall()])
    source.dispose()
    with database(backend) as url:
        engine = make_engine(url)
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            marker = "?" if backend == "sqlite" else "%s"
            cursor = raw.cursor()
            # make_engine leaves the sqlite3 driver in autocommit (it issues BEGIN itself): without an
            # explicit BEGIN every row would be a transaction of its own, unlike the upload's one.
            if backend == "sqlite":
                cursor.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")  # the upload's own page cache
                cursor.execute("BEGIN")
            for table in COPIED[:3]:  # what the rows refer to; not the upload's work
                names, rows = tables[table]
                _insert(cursor, table, names, rows, marker)
            raw.commit()
            start = time.perf_counter()
            if backend == "sqlite":
                cursor.execute("BEGIN")
            for table in WRITTEN:
                names, rows = tables[table]
                _insert(cursor, table, names, rows, marker)
            raw.commit()
            elapsed = time.perf_counter() - start
        engine.dispose()
    return elapsed


def _insert(cursor: Any, table: str, names: list[str], rows: list[tuple[Any, ...]], marker: str) -> None:
    if rows:
        placeholders = ", ".join([marker] * len(names))
        cursor.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})", rows)


def _as_param(value: Any) -> Any:
    # PostgreSQL hands JSON columns back parsed: they go back in as the very text the app wrote.
    return dumps_json(value) if isinstance(value, dict | list) else value


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument(
        "--backend", choices=["both", "sqlite", "postgresql"], default="both", help="databases to measure"
    )
    args = parser.parse_args()
    print_machine()
    study = load_study(REPO / "forms")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cohort.csv"
        start = time.perf_counter()
        rows, values = cohort_csv(study, args.patients, path)
        print(
            f"cohort: {args.patients} patients, {rows} rows, {values} values, "
            f"{path.stat().st_size / 1e6:.1f} MB (made in {time.perf_counter() - start:.1f} s)"
        )
        backends = ["sqlite"] + (["postgresql"] if postgres_available() else ["(postgresql unreachable)"])
        if args.backend != "both":
            backends = [b for b in backends if b.strip("()").startswith(args.backend)]
        for backend in backends:
            if backend.startswith("("):
                print(backend)
                continue
            with database(backend) as url:
                user_token(url, "bench@hcb.example", "site_manager", "HCB")
                elapsed, counts = run_upload(url, study, path)
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                # In a child process: the floor holds every stored row in memory to insert it again.
                with multiprocessing.get_context("spawn").Pool(1) as pool:
                    floor = pool.apply(storage_floor, (url, backend))
            target = "  (target >= 2,000 patients/s, <= 3x floor)" if backend == "sqlite" else ""
            print(
                f"{backend:10} upload {elapsed:7.1f} s = {args.patients / elapsed:7.0f} patients/s, "
                f"{values / elapsed:8.0f} values/s; floor (bare executemany) {floor:5.2f} s; "
                f"upload / floor {elapsed / floor:5.1f}x{target}"
            )
            print(f"{'':10} counts {json.dumps({k: v for k, v in counts.items() if k != 'errors_sample'})}")
            print(
                f"{'':10} peak resident memory of this process so far: {peak:.0f} MB "
                "(includes making the cohort; bench/upload_memory.py measures the upload alone)"
            )
            if counts.get("errors"):
                print(f"{'':10} first errors: {counts['errors_sample']}")


if __name__ == "__main__":
    main()
