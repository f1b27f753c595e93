"""Benchmark: memory of a 100,000-patient upload (target: under 500 MB), on SQLite.

The file repeats 1,000 synthetic patients (full CRF, repeating forms) under fresh site pseudonyms,
so it is quick to make yet every patient is new to the platform. The upload runs in a child
process whose peak resident memory is read from the kernel; the baseline, measured the same way
in the same run, is a child that only loads the app and the study and does not upload.

    .venv/bin/python bench/upload_memory.py [--patients N]
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.forms.compile import load_study  # noqa: E402
from bench._server import REPO, database, print_machine, user_token  # noqa: E402
from bench.upload_bench import cohort_csv, run_upload  # noqa: E402

DISTINCT = 1_000


def repeated_cohort(source: Path, target: Path, patients: int) -> int:
    """`patients` patients: the source's, again and again, each time under new pseudonyms."""
    with source.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header, rows = list(reader.fieldnames or []), list(reader)
    made = 0
    with target.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, header, lineterminator="\n")
        writer.writeheader()
        copy = 0
        while made < patients:
            previous = None
            for row in rows:
                if row["site_pseudonym"] != previous:
                    previous = row["site_pseudonym"]
                    made += 1
                    if made > patients:
                        break
                writer.writerow({**row, "site_pseudonym": f"{copy:04d}{row['site_pseudonym'][4:]}"})
            copy += 1
    return min(made, patients)


def _child(url: str, path: str | None, results: multiprocessing.Queue[tuple[float, str]]) -> None:
    study = load_study(REPO / "forms")
    summary = "no upload (baseline)"
    elapsed = 0.0
    if path is not None:
        elapsed, counts = run_upload(url, study, Path(path))
        summary = f"{counts['patients_created']} patients created, {counts['errors']} errors"
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results.put((peak, f"{summary}; {elapsed:.0f} s"))


def measure(url: str, path: Path | None) -> tuple[float, str]:
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[tuple[float, str]] = context.Queue()
    child = context.Process(target=_child, args=(url, str(path) if path else None, results))
    child.start()
    outcome = results.get()
    child.join()
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=100_000)
    args = parser.parse_args()
    print_machine()
    study = load_study(REPO / "forms")
    with tempfile.TemporaryDirectory() as folder:
        source, path = Path(folder) / "distinct.csv", Path(folder) / "cohort.csv"
        start = time.perf_counter()
        cohort_csv(study, min(DISTINCT, args.patients), source)
        patients = repeated_cohort(source, path, args.patients)
        print(
            f"cohort: {patients} patients, {path.stat().st_size / 1e6:.0f} MB "
            f"(made in {time.perf_counter() - start:.0f} s)"
        )
        with database("sqlite") as url:
            user_token(url, "bench@hcb.example", "site_manager", "HCB")
            idle, _ = measure(url, None)
            peak, summary = measure(url, path)
        print(
            f"sqlite     upload peak resident memory {peak:5.0f} MB ({summary}); "
            f"baseline, app and study loaded without upload: {idle:4.0f} MB  (target < 500 MB)"
        )


if __name__ == "__main__":
    main()
