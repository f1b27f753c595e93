"""Reading the data an export covers in one pass: scoped patients and their live form instances.

Patients come through `records.scope.visible_records`; deleted patients and deleted form instances are
left out. Stored values arrive as the JSON text of `form_data.data` and are decoded column-wise by
polars, one frame per form: `pk`, `instance`, then one text column per stored variable.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl
from sqlalchemy import Select, Text, cast, select
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.forms.model import CForm, CompiledStudy
from app.forms.schema import FieldType
from app.models import FormData, Site
from app.records.scope import visible_records

STATUS_AT_LEAST = {"complete": ("complete", "verified"), "verified": ("verified",)}
PK, INSTANCE = "pk", "instance"
_ROWS = [(PK, pl.Int64), ("form", pl.String), (INSTANCE, pl.Int64), ("data", pl.String)]


@dataclass
class Loaded:
    patients: pl.DataFrame  # pk, record id, site; sorted by record id
    forms: dict[str, pl.DataFrame]  # form -> pk, instance, one text column per stored variable
    record_field: str

    def form(self, cform: CForm) -> pl.DataFrame:
        """The form's rows (none when no patient has it), sorted by patient and instance."""
        found = self.forms.get(cform.name)
        if found is not None:
            return found
        schema = {PK: pl.Int64, INSTANCE: pl.Int64} | dict.fromkeys(stored_names(cform), pl.String)
        return pl.DataFrame(schema=schema)


def stored_names(cform: CForm) -> list[str]:
    return [f.name for f in cform.fields.values() if f.spec.type != FieldType.descriptive]


def scoped_records(actor: Actor, sites: Sequence[str]) -> Select[int, str, str]:
    """The patients the actor may see, optionally at some sites only, with their site's code."""
    visible = visible_records(actor).subquery()
    query = select(visible.c.id, visible.c.record_id, Site.code).join(Site, Site.id == visible.c.site_id)
    if sites:
        query = query.where(Site.code.in_(sites))
    return query


def _decode(cform: CForm, part: pl.DataFrame) -> pl.DataFrame:
    names = stored_names(cform)
    if not names:
        return part.select(PK, INSTANCE)
    struct = pl.Struct([pl.Field(name, pl.String) for name in names])
    return part.select(PK, INSTANCE, pl.col("data").str.json_decode(struct)).unnest("data")


def load(
    session: Session, study: CompiledStudy, actor: Actor, sites: Sequence[str], status: str | None
) -> Loaded:
    record_field = study.spec.record_id_field
    records = scoped_records(actor, sites)
    patients = pl.DataFrame(
        session.execute(records).all(),
        schema=[(PK, pl.Int64), (record_field, pl.String), ("site", pl.String)],
        orient="row",
    )
    # The live form rows are read whole and kept for the scoped patients here: joined in SQL, a planner
    # with stale statistics (a bulk upload just ran, autovacuum not yet) may pick a nested loop that
    # rescans the patients for every form row, turning one second into a minute on PostgreSQL.
    query = select(FormData.record_pk, FormData.form, FormData.instance, cast(FormData.data, Text)).where(
        FormData.deleted_at.is_(None)
    )
    if status is not None:
        query = query.where(FormData.status.in_(STATUS_AT_LEAST[status]))
    rows = pl.DataFrame(session.execute(query).all(), schema=_ROWS, orient="row")
    rows = rows.join(patients.select(PK), on=PK, how="semi")
    forms: dict[str, pl.DataFrame] = {}
    for (form,), part in rows.partition_by("form", as_dict=True).items():
        cform = study.forms.get(str(form))
        if cform is not None:
            forms[cform.name] = _decode(cform, part).sort(PK, INSTANCE)
    if status is not None:
        # A patient none of whose forms has the status asked for has nothing to show.
        kept = pl.concat([frame.select(PK) for frame in forms.values()]) if forms else pl.DataFrame({PK: []})
        patients = patients.filter(pl.col(PK).is_in(kept[PK].implode()))
    return Loaded(patients.sort(record_field), forms, record_field)
