"""Compile a study directory: check everything statically, then build the engine's closures.

`load_study(path)` is the one entry point; it raises DefinitionError with every problem found,
each as `file:line: message`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from app.forms import fieldcheck
from app.forms.expr.compiler import Compiled, CompileError, Scope, compile_expression
from app.forms.expr.parser import ExpressionSyntaxError, parse
from app.forms.expr.types import BLANK, BOOL, DATE, NUM, SET, T_BLANK, TEXT, Ty
from app.forms.loader import RawDefinition, Source, load_directory
from app.forms.model import PIPE, CDerived, CField, CForm, CompiledStudy, CRule
from app.forms.problems import DefinitionError, Problem
from app.forms.ranges import outside_check
from app.forms.schema import Derived, Field, FieldType, Form, Rule
from app.forms.values import choice_codes, parser_for

_RESULT_KINDS = {"integer": NUM, "decimal": NUM, "text": TEXT, "date": DATE, "yesno": NUM, "choice": NUM}


def static_type(field: Field) -> Ty:
    """The expression type of an input field."""
    kind = field.type
    if kind in (FieldType.integer, FieldType.decimal, FieldType.studyday):
        return Ty(NUM, source=field.name)
    if kind in (FieldType.choice, FieldType.yesno, FieldType.multichoice):
        codes = choice_codes(field)
        base = (
            SET if kind == FieldType.multichoice else NUM if all(isinstance(c, int) for c in codes) else TEXT
        )
        return Ty(base, frozenset(codes), field.name)
    if kind in (FieldType.date, FieldType.datetime):
        return Ty(DATE, source=field.name)
    return Ty(TEXT, source=field.name)


class _Resolver:
    """Answers the expression compiler's questions; types calculated fields lazily, finding cycles."""

    def __init__(self, raw: RawDefinition, problems: list[Problem]) -> None:
        self.raw = raw
        self.problems = problems
        self.forms: dict[str, tuple[Form, Source]] = {form.name: (form, src) for form, src in raw.forms}
        self.fields: dict[tuple[str, str], tuple[Field, int]] = {
            (form.name, f.name): (f, i) for form, _ in raw.forms for i, f in enumerate(form.fields)
        }
        self.calcs: dict[tuple[str, str], tuple[Compiled | None, Ty]] = {}
        self.in_progress: list[tuple[str, str]] = []
        self.derived_specs: dict[str, tuple[Derived, int]] = {
            d.name: (d, i) for i, d in enumerate(raw.study.derived)
        }
        self.derived: dict[str, tuple[Compiled | None, Ty]] = {}
        self.derived_in_progress: list[str] = []

    def is_form(self, form: str) -> bool:
        return form in self.forms

    def is_repeating(self, form: str) -> bool:
        return self.forms[form][0].repeating

    def setting(self, name: str) -> Any:
        return self.raw.study.settings.get(name)

    def field_type(self, form: str, name: str) -> Ty | None:
        found = self.fields.get((form, name))
        if found is None:
            return None
        spec = found[0]
        if spec.type in (FieldType.descriptive, FieldType.unsupported):
            return None
        if spec.type == FieldType.calc:
            return self.calc((form, name))[1]
        return static_type(spec)

    def calc(self, key: tuple[str, str]) -> tuple[Compiled | None, Ty]:
        if key in self.calcs:
            return self.calcs[key]
        form, name = key
        spec, index = self.fields[key]
        source = self.forms[form][1]
        if key in self.in_progress:
            path = [n for _, n in self.in_progress[self.in_progress.index(key) :]] + [name]
            self.problems.append(
                source.problem(f"calculation cycle: {' -> '.join(path)}", "fields", index, "calc")
            )
            return None, T_BLANK
        self.in_progress.append(key)
        compiled = self.expression(spec.calc or "", Scope(form=form), source, ("fields", index, "calc"))
        self.in_progress.pop()
        ty = _calc_type(spec, compiled.ty if compiled else T_BLANK)
        self.calcs[key] = (compiled, ty)
        return compiled, ty

    def derived_type(self, name: str) -> Ty | None:
        if name not in self.derived_specs:
            return None
        return self.derived_value(name)[1]

    def derived_value(self, name: str) -> tuple[Compiled | None, Ty]:
        if name in self.derived:
            return self.derived[name]
        spec, index = self.derived_specs[name]
        source = self.raw.study_source
        if name in self.derived_in_progress:
            path = self.derived_in_progress[self.derived_in_progress.index(name) :] + [name]
            self.problems.append(
                source.problem(f"derivation cycle: {' -> '.join(path)}", "derived", index, "expr")
            )
            return None, T_BLANK
        self.derived_in_progress.append(name)
        compiled = self.expression(spec.expr, Scope(derived=True), source, ("derived", index, "expr"))
        self.derived_in_progress.pop()
        ty = Ty(_RESULT_KINDS.get(spec.result, NUM), _declared_codes(spec.choices), name)
        if compiled is not None and compiled.ty.kind == BOOL:
            ty = Ty(NUM, frozenset({0, 1}), name)
        self.derived[name] = (compiled, ty)
        return compiled, ty

    def expression(
        self, text: str, scope: Scope, source: Source, loc: tuple[int | str, ...], want: str | None = None
    ) -> Compiled | None:
        try:
            compiled = compile_expression(parse(text), self, scope)
        except (ExpressionSyntaxError, CompileError) as exc:
            self.problems.append(source.problem(f"{loc[-1]}: {exc} (column {exc.column} of '{text}')", *loc))
            return None
        if want is not None and compiled.ty.kind not in (want, BLANK):
            self.problems.append(
                source.problem(f"{loc[-1]}: must be a condition, not {compiled.ty.describe()}", *loc)
            )
            return None
        return compiled


def _declared_codes(choices: list[Any] | None) -> frozenset[int | str] | None:
    if not choices:
        return None
    codes = [c.code for c in choices]
    return frozenset(int(c) if c.isdigit() else c for c in codes)


def _calc_type(spec: Field, inferred: Ty) -> Ty:
    if spec.choices:
        return Ty(
            NUM if all(c.code.isdigit() for c in spec.choices) else TEXT,
            _declared_codes(spec.choices),
            spec.name,
        )
    if inferred.kind == BOOL:
        return Ty(NUM, frozenset({0, 1}), spec.name)
    if spec.result is not None:
        return Ty(_RESULT_KINDS[spec.result], None, spec.name)
    return Ty(inferred.kind, inferred.codes, spec.name)


def _compile_field(resolver: _Resolver, form: Form, source: Source, index: int, spec: Field) -> CField:
    cfield = CField(spec=spec, form=form.name, index=index, ty=static_type(spec))
    loc: tuple[int | str, ...] = ("fields", index)
    if spec.type == FieldType.calc:
        cfield.calc, cfield.ty = resolver.calc((form.name, spec.name))
    elif cfield.is_input:
        cfield.parse = parser_for(spec)
    if spec.type in (FieldType.choice, FieldType.multichoice, FieldType.yesno):
        cfield.codes = choice_codes(spec)
    for attr in ("show_if", "required_if"):
        text = getattr(spec, attr)
        if text:
            compiled = resolver.expression(text, Scope(form=form.name), source, (*loc, attr), want=BOOL)
            setattr(cfield, attr, compiled)
            if compiled is not None and attr == "show_if":
                _check_order(resolver, form, source, index, compiled)
    cfield.missing_codes = fieldcheck.missing_codes(resolver.raw.study, spec)
    cfield.hard = fieldcheck.bounds(spec.range)
    cfield.soft = fieldcheck.bounds(spec.soft_range)
    cfield.outside_hard = outside_check(cfield.hard)
    cfield.outside_soft = outside_check(cfield.soft)
    cfield.refused = spec.identifier and resolver.raw.study.privacy.refuse_identifiers
    # What an upload refuses in any cell (app/forms/identifiers.py), a form refuses in free text.
    cfield.screened = spec.type in (FieldType.text, FieldType.notes)  # as uploads, whatever the study says
    return cfield


def _check_order(resolver: _Resolver, form: Form, source: Source, index: int, compiled: Compiled) -> None:
    for dep_form, dep_name in sorted(compiled.deps):
        if dep_form != form.name:
            continue
        dep_index = resolver.fields[(dep_form, dep_name)][1]
        if dep_index >= index:
            resolver.problems.append(
                source.problem(
                    f"show_if: refers to '{dep_name}', which comes later in the form "
                    "(or is the field itself)",
                    "fields",
                    index,
                    "show_if",
                )
            )


def _compile_rule(
    resolver: _Resolver, rule: Rule, form: Form | None, source: Source, loc: tuple[int | str, ...]
) -> CRule | None:
    scope = Scope(form=form.name if form else None)
    check = resolver.expression(rule.check, scope, source, (*loc, "check"), want=BOOL)
    when = resolver.expression(rule.when, scope, source, (*loc, "when"), want=BOOL) if rule.when else None
    if check is None or (rule.when and when is None):
        return None
    attach = rule.field
    if attach is None and form is not None:
        attach = next((name for f, name in sorted(check.deps) if f == form.name), None)
    pipes = {}
    for lang, text in rule.message.items():
        for piped in PIPE.findall(text):
            compiled = resolver.expression(piped, scope, source, (*loc, "message", lang))
            if compiled is not None:
                pipes[piped] = compiled
    return CRule(
        rule, form.name if form else None, source.file, source.line(*loc), check, when, attach, pipes
    )


def _calc_order(cform: CForm) -> list[CField]:
    """Calculated fields in an order where each comes after the calculations it reads."""
    reads = {
        f.name: {n for form, n in f.calc.deps if form == cform.name and cform.fields[n].calc is not None}
        for f in cform.fields.values()
        if f.calc is not None
    }
    pending = [f for f in cform.fields.values() if f.name in reads]
    done: set[str] = set()
    ordered: list[CField] = []
    while pending:
        ready = [f for f in pending if reads[f.name] <= done]
        if not ready:  # a cycle, already reported
            break
        for f in ready:
            ordered.append(f)
            done.add(f.name)
            pending.remove(f)
    return ordered


def _content_hash(raw: RawDefinition) -> str:
    digest = hashlib.sha256()
    for name in sorted(raw.texts):
        digest.update(name.encode() + b"\0" + raw.texts[name] + b"\0")
    return digest.hexdigest()


def compile_definition(raw: RawDefinition) -> CompiledStudy:
    problems: list[Problem] = []
    problems.extend(fieldcheck.check_shapes(raw))
    resolver = _Resolver(raw, problems)
    forms: dict[str, CForm] = {}
    for form, source in raw.forms:
        fields = {
            spec.name: _compile_field(resolver, form, source, i, spec) for i, spec in enumerate(form.fields)
        }
        cform = CForm(form, source.file, fields)
        cform.calcs = _calc_order(cform)
        for i, rule in enumerate(form.rules):
            compiled_rule = _compile_rule(resolver, rule, form, source, ("rules", i))
            if compiled_rule is not None:
                cform.rules.append(compiled_rule)
        forms[form.name] = cform
    study_rules = []
    for i, rule in enumerate(raw.study.rules):
        compiled_rule = _compile_rule(resolver, rule, None, raw.study_source, ("rules", i))
        if compiled_rule is not None:
            study_rules.append(compiled_rule)
    derived = []
    for spec in raw.study.derived:
        compiled, ty = resolver.derived_value(spec.name)
        if compiled is not None:
            derived.append(CDerived(spec, compiled, ty))
    derived.sort(key=lambda d: _derived_depth(d.name, resolver))
    if problems:
        raise DefinitionError(problems)
    return CompiledStudy(raw.study, raw.directory, forms, study_rules, derived, _content_hash(raw))


def _derived_depth(name: str, resolver: _Resolver, seen: frozenset[str] = frozenset()) -> int:
    compiled = resolver.derived.get(name, (None, T_BLANK))[0]
    if compiled is None or name in seen:
        return 0
    inner = [n for form, n in compiled.deps if form == "" and n in resolver.derived_specs]
    return 1 + max((_derived_depth(n, resolver, seen | {name}) for n in inner), default=0)


def load_study(directory: str | Path, shown_as: str | None = None) -> CompiledStudy:
    """Load, check and compile a study definition directory."""
    path = Path(directory)
    raw = load_directory(path, shown_as if shown_as is not None else str(directory).rstrip("/"))
    return compile_definition(raw)
