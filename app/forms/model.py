"""The compiled study definition: what the engine, the records service and exports work from.

Built once per definition version by `compile.py`; immutable afterwards.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from app.forms.expr.compiler import Compiled
from app.forms.expr.types import Ty
from app.forms.ranges import Outside
from app.forms.schema import Derived, Field, FieldType, Form, Rule, Study
from app.forms.values import Parser

Bound = Any  # Decimal, int, date or None


@dataclass
class CField:
    spec: Field
    form: str
    index: int
    ty: Ty
    name: str = ""
    parse: Parser | None = None
    codes: tuple[int | str, ...] | None = None
    missing_codes: frozenset[str] = frozenset()
    show_if: Compiled | None = None
    required_if: Compiled | None = None
    calc: Compiled | None = None
    hard: tuple[Bound, Bound] | None = None
    soft: tuple[Bound, Bound] | None = None
    outside_hard: Outside | None = None
    outside_soft: Outside | None = None
    refused: bool = False
    screened: bool = False  # free text: refused where it looks like a direct identifier

    def __post_init__(self) -> None:
        self.name = self.spec.name

    @property
    def is_input(self) -> bool:
        return self.spec.type not in (FieldType.calc, FieldType.descriptive, FieldType.unsupported)


# `{expression}` in a rule's message: the value it has when the rule fails, as data managers read it.
PIPE = re.compile(r"\{([^{}]+)\}")


@dataclass
class CRule:
    spec: Rule
    form: str | None
    file: str
    line: int
    check: Compiled
    when: Compiled | None
    field: str | None
    # Values piped into the message: each `{expression}` of its text, compiled where the rule lives.
    pipes: dict[str, Compiled] = dataclasses.field(default_factory=dict)  # `field` is taken above

    @property
    def reads(self) -> frozenset[str]:
        """The fields of its own form the rule's check and condition read."""
        deps = self.check.deps | (self.when.deps if self.when is not None else set())
        return frozenset(name for form, name in deps if form == self.form)

    @property
    def forms(self) -> set[str]:
        touched = set(self.check.forms) | {form for form, _ in self.check.deps if form}
        for compiled in (self.when, *self.pipes.values()):  # a piped value must not go stale either
            if compiled is not None:
                touched |= compiled.forms | {form for form, _ in compiled.deps if form}
        if self.form:
            touched.add(self.form)
        return touched


@dataclass
class CForm:
    spec: Form
    file: str
    fields: dict[str, CField]
    calcs: list[CField] = field(default_factory=list)
    rules: list[CRule] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def repeating(self) -> bool:
        return self.spec.repeating

    @property
    def inputs(self) -> list[CField]:
        return [f for f in self.fields.values() if f.is_input]

    @cached_property
    def save_checks(self) -> dict[str, frozenset[str]]:
        """The warning checks a save runs on an instance, each with the fields of the form it reads:
        range checks (`soft_range`, each reading its own field) and the form's own rules run on save."""
        checks: dict[str, frozenset[str]] = {"soft_range": frozenset()}
        checks |= {f"rule:{r.spec.name}": r.reads for r in self.rules if r.spec.on == "save"}
        return checks

    @cached_property
    def logic_fields(self) -> list[CField]:
        """Inputs with a show_if or a requirement, in form order (a show_if reads only earlier fields)."""
        return [
            f for f in self.inputs if f.show_if is not None or f.spec.required or f.required_if is not None
        ]


@dataclass
class CDerived:
    spec: Derived
    compiled: Compiled
    ty: Ty

    @property
    def name(self) -> str:
        return self.spec.name


@dataclass
class CompiledStudy:
    spec: Study
    directory: Path
    forms: dict[str, CForm]
    rules: list[CRule]
    derived: list[CDerived]
    content_hash: str
    warnings: list[str] = field(default_factory=list)
    # Per-form lookups derived from the definition, filled on first use (the definition never changes).
    readers: dict[str, list[CForm]] = field(default_factory=dict)
    touching: dict[str, list[CRule]] = field(default_factory=dict)

    @cached_property
    def missing_code_set(self) -> frozenset[str]:
        return frozenset(m.code for m in self.spec.missing_codes)

    @property
    def version(self) -> str:
        """The label people see: the declared version plus the start of the content hash."""
        return f"{self.spec.version}+{self.content_hash[:12]}"

    def form(self, name: str) -> CForm | None:
        return self.forms.get(name)

    def setting(self, name: str) -> Decimal | str | bool | None:
        return self.spec.settings.get(name)

    def field(self, name: str) -> CField | None:
        for form in self.forms.values():
            if name in form.fields:
                return form.fields[name]
        return None

    def rules_touching(self, form: str) -> list[CRule]:
        """Rules of other forms and of the study that read `form` and so must run when it changes."""
        cached = self.touching.get(form)
        if cached is None:
            cached = self.touching[form] = self._rules_touching(form)
        return cached

    def _rules_touching(self, form: str) -> list[CRule]:
        found = [r for r in self.rules if form in r.forms]
        for other in self.forms.values():
            if other.name != form:
                found.extend(r for r in other.rules if form in r.forms)
        return found
