"""Benchmark: validation engine throughput on a synthetic cohort, beside plain Pydantic.

Target (issue: study-definition language): at least 500,000 values per second on one core.
The baseline validates the same raw values with a Pydantic model per form (types and ranges only,
no branching, calculations or rules), measured in the same run.

    .venv/bin/python bench/forms_validation.py [--patients N] [--forms-dir forms]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, create_model
from pydantic import Field as PydField

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.demo.synthetic import form_values  # noqa: E402
from app.forms.compile import load_study  # noqa: E402
from app.forms.engine import validate  # noqa: E402
from app.forms.model import CField, CForm, CompiledStudy  # noqa: E402
from app.forms.schema import FieldType  # noqa: E402
from bench._server import print_machine  # noqa: E402


def synthetic_rows(study: CompiledStudy, patients: int, seed: int = 7) -> list[tuple[str, dict[str, Any]]]:
    """Plausible raw rows that the engine accepts, three instances of each repeating form."""
    rng = random.Random(seed)
    rows: list[tuple[str, dict[str, Any]]] = []
    for _ in range(patients):
        for cform in study.forms.values():
            for _ in range(3 if cform.repeating else 1):
                rows.append((cform.name, form_values(study, cform, rng)))
    return rows


def _pydantic_type(cfield: CField) -> Any:
    kind = cfield.spec.type
    low, high = cfield.hard if cfield.hard else (None, None)
    bounds = {
        "ge": low if isinstance(low, Decimal) else None,
        "le": high if isinstance(high, Decimal) else None,
    }
    if kind in (FieldType.integer, FieldType.studyday):
        return (int | None, PydField(default=None, **bounds))
    if kind == FieldType.decimal:
        return (Decimal | None, PydField(default=None, decimal_places=cfield.spec.precision, **bounds))
    if kind in (FieldType.choice, FieldType.yesno):
        return (Literal[tuple(str(c) for c in cfield.codes or ())] | None, None)  # type: ignore[misc]
    if kind == FieldType.multichoice:
        return (list[Literal[tuple(str(c) for c in cfield.codes or ())]] | None, None)  # type: ignore[misc]
    if kind == FieldType.date:
        return (dt.date | None, None)
    return (str | None, None)


def pydantic_models(study: CompiledStudy) -> dict[str, type[BaseModel]]:
    models = {}
    for cform in study.forms.values():
        fields: dict[str, Any] = {f.name: _pydantic_type(f) for f in cform.inputs}
        config = ConfigDict(extra="forbid")
        models[cform.name] = create_model(f"Form_{cform.name}", __config__=config, **fields)
    return models


def _count(rows: list[tuple[str, dict[str, Any]]]) -> int:
    return sum(len(raw) for _, raw in rows)


def _best_of(runs: int, work: Any) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--forms-dir", type=Path, default=Path("forms"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print_machine()

    study = load_study(args.forms_dir)
    rows = synthetic_rows(study, args.patients)
    values = _count(rows)
    forms: dict[str, CForm] = study.forms
    models = pydantic_models(study)
    rejected = sum(1 for form, raw in rows if not validate(study, form, raw).ok)

    def engine_run() -> None:
        for form, raw in rows:
            validate(study, form, raw)

    def pydantic_run() -> None:
        for form, raw in rows:
            models[form].model_validate(raw)

    engine = _best_of(args.runs, engine_run)
    baseline = _best_of(args.runs, pydantic_run)
    print(
        f"study {study.spec.id} {study.version}: {len(forms)} forms, {args.patients} patients, "
        f"{len(rows)} form instances, {values} values ({rejected} instances with errors)"
    )
    print(
        f"engine (types, ranges, branching, calculations, rules): {values / engine:,.0f} values/s "
        f"({engine:.3f} s)  target >= 500,000 values/s"
    )
    print(
        f"baseline plain Pydantic (types, ranges only):           {values / baseline:,.0f} values/s "
        f"({baseline:.3f} s)"
    )
    print(f"engine / baseline time: {engine / baseline:.2f}x")


if __name__ == "__main__":
    main()
