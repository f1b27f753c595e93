"""Everything a data-entry page shows about one form instance, gathered for the template."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.actor import Actor
from app.forms.model import CForm, CompiledStudy
from app.models import QueryMessage
from app.queries.service import OPEN_STATES, list_queries
from app.records.service import WRITERS, FormState
from app.records.workflow import ACTIONS
from app.web.display import show_value
from app.web.evaluation import Evaluation, IssueView
from app.web.fields import FieldView, QueryLink, field_views
from app.web.i18n import Translator

EDITED_STATUSES = ("complete", "verified")


@dataclass
class Urls:
    record: str
    form: str
    preview: str
    status: str
    delete: str | None
    history: str
    new_query: str


@dataclass
class ConflictRow:
    label: str
    theirs: str
    yours: str


@dataclass
class FormPage:
    record_id: str
    title: str
    is_new: bool
    state: FormState
    fields: list[FieldView]
    urls: Urls
    editable: bool
    actions: list[str]
    form_issues: list[IssueView] = field(default_factory=list)
    submitted: bool = False
    reason_error: IssueView | None = None
    conflict: list[ConflictRow] | None = None
    missing_codes: str = ""
    version: str = ""
    # Form names to their labels in the reader's language, for problems found in another form.
    form_labels: dict[str, str] = field(default_factory=dict)
    reason: str = ""

    # Whether Save can also mark the form complete (REDCap's "Complete?" at the foot of a form).
    completes_on_save: bool = False

    @property
    def reason_needed(self) -> bool:
        return self.editable and self.state.status in EDITED_STATUSES

    @property
    def has_studyday(self) -> bool:
        return self.editable and any(f.studyday for f in self.fields)

    @property
    def sections(self) -> list[tuple[str, list[FieldView]]]:
        """Fields grouped under the section headings the definition starts."""
        groups: list[tuple[str, list[FieldView]]] = []
        for view in self.fields:
            if view.section or not groups:
                groups.append((view.section, []))
            groups[-1][1].append(view)
        return groups

    @property
    def error_count(self) -> int:
        invalid = sum(1 for f in self.fields if f.invalid)
        return invalid + len(self.form_issues) + (1 if self.reason_error else 0)


def form_urls(record_id: str, cform: CForm, number: int, is_new: bool) -> Urls:
    base = f"/records/{record_id}/forms/{cform.name}"
    here = f"{base}/new" if is_new else f"{base}/{number}" if cform.repeating else base
    where = {"form": cform.name, "instance": number}
    return Urls(
        record=f"/records/{record_id}",
        form=here,
        preview=f"{base}/preview" + ("" if is_new or not cform.repeating else f"?instance={number}"),
        status=f"{here}/status",
        delete=f"{here}/delete" if cform.repeating and not is_new else None,
        history=f"/records/{record_id}/history?{urlencode(where)}",
        new_query=f"/records/{record_id}/queries/new?{urlencode(where)}",
    )


def available_actions(actor: Actor, state: FormState) -> list[str]:
    """The status changes this actor may make now, as records.workflow will allow them."""
    found = []
    for action, (roles, sources, _) in ACTIONS.items():
        if actor.role not in roles or state.status not in sources:
            continue
        if action == "lock" and state.locked or action == "unlock" and not state.locked:
            continue
        if state.locked and action != "unlock":
            continue
        found.append(action)
    return found


def field_queries(
    session: Session, actor: Actor, record_id: str, form: str, number: int
) -> dict[str | None, list[QueryLink]]:
    """The open (or answered) queries of one form instance, by field, with the question that opened them."""
    queries = [
        view.query
        for view in list_queries(session, actor, record_id=record_id, limit=1000)
        if view.query.form == form and view.query.instance == number and view.query.status in OPEN_STATES
    ]
    opening = session.scalars(
        select(QueryMessage).where(
            QueryMessage.query_id.in_([q.id for q in queries]), QueryMessage.kind == "open"
        )
    )
    questions = {message.query_id: message.text_in(actor.language) for message in opening}
    found: dict[str | None, list[QueryLink]] = {}
    for query in queries:
        found.setdefault(query.field, []).append(
            QueryLink(query.id, query.status, questions.get(query.id, ""))
        )
    return found


def conflict_rows(
    study: CompiledStudy, cform: CForm, theirs: Mapping[str, str], yours: Mapping[str, str], t: Translator
) -> list[ConflictRow]:
    rows = []
    for cfield in cform.inputs:
        mine, saved = yours.get(cfield.name, ""), theirs.get(cfield.name, "")
        if mine != saved:
            rows.append(
                ConflictRow(
                    t.label(cfield.spec.label),
                    show_value(study, cfield, saved, t) or t("blank"),
                    show_value(study, cfield, mine, t) or t("blank"),
                )
            )
    return rows


def build_form_page(
    study: CompiledStudy,
    actor: Actor,
    cform: CForm,
    state: FormState,
    values: Mapping[str, Any],
    evaluation: Evaluation,
    queries: Mapping[str | None, list[QueryLink]],
    t: Translator,
    *,
    is_new: bool = False,
    submitted: bool = False,
    errors: list[IssueView] | None = None,
) -> FormPage:
    if errors is not None:
        kept = [i for i in evaluation.issues if i.severity != "error"]
        evaluation.issues = [i for i in errors if i.field != "_reason"] + kept
    fields = field_views(study, cform, values, evaluation, queries, t)
    shown = {f.name for f in fields}
    label = t.label(cform.spec.label)
    suffix = t("new_entry") if is_new else t("entry_n", n=state.instance) if cform.repeating else ""
    accepted = {c for f in cform.inputs for c in f.missing_codes}
    codes = [m.code for m in study.spec.missing_codes if m.code in accepted]
    return FormPage(
        record_id=state.record_id,
        title=f"{label} · {suffix}" if suffix else label,
        is_new=is_new,
        state=state,
        fields=fields,
        urls=form_urls(state.record_id, cform, state.instance, is_new),
        editable=actor.role in WRITERS and not state.locked,
        actions=[] if is_new else available_actions(actor, state),
        completes_on_save=actor.role in ACTIONS["complete"][0] and state.status in ("empty", "incomplete"),
        form_issues=[i for i in evaluation.issues if i.field not in shown or i.form is not None],
        submitted=submitted,
        reason_error=next((i for i in errors or [] if i.field == "_reason"), None),
        missing_codes=", ".join(codes),
        form_labels={name: t.label(other.spec.label) for name, other in study.forms.items()},
    )
