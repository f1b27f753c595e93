"""`odm.xml`: CDISC ODM 1.3.2 with the study metadata, the clinical data per site and the audit trail.

A missing-data code is an ItemData with `IsNull="Yes"` and a flag whose value is the code (code list
`CL.MISSING`), so numeric items only ever hold numbers. Each site's ClinicalData ends with the
AuditRecords of its patients (who, where, when, why, and which fields an event changed, with the
event's hash). The file's CreationDateTime is the time of the latest change it includes, so unchanged
data gives the same file; the manifest records when the export ran.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from app.exports.columns import Column, Kind
from app.exports.formats.odm_metadata import (
    CENTRAL,
    MISSING_LIST,
    STUDY_EVENT,
    Group,
    attr,
    form_groups,
    item_oid,
    mdv_oid,
    study_oid,
    study_xml,
    text,
)
from app.exports.plan import Plan
from app.exports.snapshot import Table

NS = "http://www.cdisc.org/ns/odm/v1.3"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Row = tuple[str | None, ...]


def _item(oid: str, value: str, missing: tuple[str, ...], is_text: bool) -> str:
    if value in missing:
        flag = f'<Flag><FlagValue CodeListOID="{MISSING_LIST}">{value}</FlagValue></Flag>'
        return f'<ItemData ItemOID="{oid}" IsNull="Yes"><Annotation SeqNum="1">{flag}</Annotation></ItemData>'
    return f'<ItemData ItemOID="{oid}" Value="{attr(value) if is_text else value}"/>'


class _Items:
    """Where each item of a group sits in its table's rows."""

    def __init__(self, table: Table, columns: list[Column]) -> None:
        index = {c.name: i for i, c in enumerate(table.spec.columns)}
        self.cells = [(index[c.name], attr(item_oid(c)), c.missing, c.kind == Kind.text) for c in columns]

    def xml(self, row: Row) -> str:
        return "".join(
            _item(oid, value, missing, is_text)
            for position, oid, missing, is_text in self.cells
            if (value := row[position]) is not None
        )


def _form(group: Group, items: str, repeat: str | None = None) -> str:
    key = f' FormRepeatKey="{repeat}"' if repeat is not None else ""
    return (
        f'<FormData FormOID="F.{attr(group.oid)}"{key}><ItemGroupData ItemGroupOID="IG.{attr(group.oid)}">'
        f"{items}</ItemGroupData></FormData>"
    )


def _user(actor_id: int | None, actor: str) -> str:
    return f"USR.{actor_id}" if actor_id is not None else f"USR.{actor}"


def _audit_records(events: pl.DataFrame, sites: set[str]) -> str:
    parts = ["<AuditRecords>"]
    for event in events.iter_rows(named=True):
        location = f"LOC.{event['site']}" if event["site"] in sites else CENTRAL
        where = f" {event['form']}[{event['instance']}]" if event["form"] else ""
        changed = f": {event['fields']}" if event["fields"] else ""
        source = f"{event['action']} {event['record_id']}{where}{changed}; sha256 {event['hash']}"
        reason = f"<ReasonForChange>{text(event['reason'])}</ReasonForChange>" if event["reason"] else ""
        edit_point = "Monitoring" if event["role"] == "monitor" else "DataManagement"
        parts.append(
            f'<AuditRecord EditPoint="{edit_point}" UsedImputationMethod="No" ID="AUDIT.{event["id"]}">'
            f'<UserRef UserOID="{attr(_user(event["actor_id"], event["actor"]))}"/>'
            f'<LocationRef LocationOID="{attr(location)}"/>'
            f"<DateTimeStamp>{event['at'].isoformat()}</DateTimeStamp>{reason}<SourceID>{text(source)}</SourceID></AuditRecord>"
        )
    parts.append("</AuditRecords>")
    return "".join(parts)


def _admin(plan: Plan, effective: str) -> str:
    study = plan.snapshot.study
    ref = (
        f'<MetaDataVersionRef StudyOID="{attr(study_oid(study))}" '
        f'MetaDataVersionOID="{attr(mdv_oid(study))}" EffectiveDate="{effective}"/>'
    )
    users: dict[str, str] = {}
    if plan.audit.height:
        for actor_id, actor in plan.audit.select("actor_id", "actor").unique(maintain_order=True).iter_rows():
            users.setdefault(_user(actor_id, actor), actor)
    parts = [f'<AdminData StudyOID="{attr(study_oid(study))}">']
    parts += [
        f'<User OID="{attr(oid)}"><LoginName>{text(login)}</LoginName></User>' for oid, login in users.items()
    ]
    parts += [
        f'<Location OID="LOC.{attr(s.code)}" Name="{attr(s.name)}" LocationType="Site">{ref}</Location>'
        for s in study.spec.sites
    ]
    parts.append(
        f'<Location OID="{CENTRAL}" Name="Coordinating centre" LocationType="Other">{ref}</Location>'
    )
    return "".join(parts) + "</AdminData>"


def _clinical(plan: Plan) -> Iterator[str]:
    study, tables = plan.snapshot.study, plan.snapshot.tables
    patients = plan.snapshot.patients
    groups = form_groups(plan)
    table_of = {t.spec.form: t for t in tables[1:]}
    items = {g.oid: _Items(table_of.get(g.oid, patients), g.columns) for g in groups}
    by_record: dict[str, dict[str, list[Row]]] = {}
    for table in tables[1:]:
        grouped: dict[str, list[Row]] = {}
        for row in table.frame.rows():
            grouped.setdefault(str(row[0]), []).append(row)
        by_record[table.name] = grouped
    sites = {s.code for s in study.spec.sites}
    rows = patients.frame.rows()
    opening = (
        f'<ClinicalData StudyOID="{attr(study_oid(study))}" MetaDataVersionOID="{attr(mdv_oid(study))}">'
    )
    events = _events_by_site(plan)
    by_site: dict[str, list[Row]] = {}
    for row in rows:
        by_site.setdefault(str(row[1]), []).append(row)
    for code in plan.snapshot.site_counts:
        yield opening
        for row in by_site.get(code, ()):
            record = str(row[0])
            parts = [
                f'<SubjectData SubjectKey="{attr(record)}"><SiteRef LocationOID="LOC.{attr(code)}"/>'
                f'<StudyEventData StudyEventOID="{STUDY_EVENT}">'
            ]
            for group in groups:
                if not group.repeating:
                    cells = items[group.oid].xml(row)
                    parts.append(_form(group, cells) if cells else "")
                    continue
                for instance in by_record[group.oid].get(record, ()):
                    parts.append(_form(group, items[group.oid].xml(instance), str(instance[2])))
            parts.append("</StudyEventData></SubjectData>")
            yield "".join(parts)
        if code in events:
            yield _audit_records(events[code], sites)
        yield "</ClinicalData>"


def _events_by_site(plan: Plan) -> dict[str, pl.DataFrame]:
    """The audit trail split by the site of the patient each event is about."""
    if not plan.audit.height:
        return {}
    record = plan.snapshot.study.spec.record_id_field
    patients = plan.snapshot.patients.frame.select(
        pl.col(record).alias("record_id"), pl.col("site").alias("home")
    )
    trail = plan.audit.join(patients, on="record_id", how="inner", maintain_order="left")
    return {str(site): part for (site,), part in trail.partition_by("home", as_dict=True).items()}


def write_odm(plan: Plan, folder: Path) -> list[str]:
    study = plan.snapshot.study
    latest = plan.audit["at"].max() if plan.audit.height else None
    as_of = (latest if isinstance(latest, datetime) else EPOCH).isoformat()
    file_oid = f"EDC.{study.spec.id}.{study.version}.{as_of}"
    with (folder / "odm.xml").open("w", encoding="utf-8") as handle:
        handle.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        handle.write(
            f'<ODM xmlns="{NS}" FileType="Snapshot" Granularity="All" FileOID="{attr(file_oid)}" '
            f'CreationDateTime="{as_of}" AsOfDateTime="{as_of}" ODMVersion="1.3.2" Originator="EDC" '
            f'SourceSystem="EDC">'
        )
        handle.writelines(study_xml(plan))
        handle.write(_admin(plan, as_of[:10]))
        handle.writelines(_clinical(plan))
        handle.write("</ODM>\n")
    return ["odm.xml"]
