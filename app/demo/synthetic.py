"""Plausible random values for any study definition: inside the expected ranges, valid codes.

Values are drawn per field from the definition; whatever the engine then rejects (a branch not taken,
a cross-field rule) is dropped, so the result always validates.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from app.forms.engine import PatientData, validate
from app.forms.model import CField, CForm, CompiledStudy
from app.forms.schema import FieldType


def _number(cfield: CField, rng: random.Random, whole: bool) -> str:
    low, high = cfield.soft or cfield.hard or (Decimal(0), Decimal(100))
    low = low if isinstance(low, Decimal) else Decimal(0)
    high = high if isinstance(high, Decimal) else low + 100
    if whole:
        return str(rng.randint(int(low), int(high)))
    places = cfield.spec.precision if cfield.spec.precision is not None else 1
    value = Decimal(rng.uniform(float(low), float(high))).quantize(Decimal(1).scaleb(-places))
    return format(min(max(value, low), high), "f")


def raw_value(cfield: CField, rng: random.Random) -> Any:
    """A raw value (as a CSV cell would hold it) for one input field."""
    kind = cfield.spec.type
    if kind in (FieldType.integer, FieldType.studyday):
        return _number(cfield, rng, whole=True)
    if kind == FieldType.decimal:
        return _number(cfield, rng, whole=False)
    if kind in (FieldType.choice, FieldType.yesno):
        return str(rng.choice(cfield.codes or ("1",)))
    if kind == FieldType.multichoice:
        codes = list(cfield.codes or ())
        return [str(c) for c in rng.sample(codes, rng.randint(1, min(2, len(codes))))]
    if kind == FieldType.date:
        return (dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 900))).isoformat()
    if kind == FieldType.datetime:
        return "2021-03-04 10:30"
    if kind == FieldType.time:
        return "10:30"
    limit = cfield.spec.max_length or 40
    return f"synthetic text {rng.randint(1, 999)}"[:limit]


def form_values(
    study: CompiledStudy,
    cform: CForm,
    rng: random.Random,
    patient: PatientData | None = None,
    instance: int | None = None,
) -> dict[str, Any]:
    """Raw values for one instance that the engine accepts (rejected fields are dropped)."""
    raw = {f.name: raw_value(f, rng) for f in cform.inputs if not f.spec.identifier}
    for _ in range(6):
        result = validate(study, cform.name, raw, patient=patient, instance=instance)
        bad = {i.field for i in result.errors if i.form in (None, cform.name) and i.field}
        if result.ok or not bad & raw.keys():
            break
        raw = {k: v for k, v in raw.items() if k not in bad}
    return raw
