"""Type-check a syntax tree against the study and turn it into a closure.

Never `eval`: every node becomes a small Python function built here, once per definition.

Blank semantics (as REDCap users expect): arithmetic with a blank is blank; `=` treats blank as a
value of its own (`x = 1` is false when x is blank); ordering comparisons with a blank are unknown;
`and`/`or`/`not` follow three-valued logic. A show-if holds only when true; a rule fails only when
false; `if()` takes the else branch when its condition is not true.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from app.forms.expr import ast
from app.forms.expr.functions import SCALAR_FUNCTIONS, AggregateSpec, aggregate_spec
from app.forms.expr.runtime import MissingValue, PatientView, Values, arith, clean
from app.forms.expr.types import BLANK, BOOL, DATE, NUM, SET, T_BLANK, T_BOOL, T_NUM, T_TEXT, TEXT, Ty

Fn = Callable[[Values, PatientView, Values], Any]


class CompileError(ValueError):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


class Resolver(Protocol):
    """What the compiler needs to know about the study."""

    def is_form(self, form: str) -> bool: ...
    def is_repeating(self, form: str) -> bool: ...
    def field_type(self, form: str, name: str) -> Ty | None: ...
    def setting(self, name: str) -> Any: ...
    def derived_type(self, name: str) -> Ty | None: ...


@dataclass
class Compiled:
    fn: Fn
    ty: Ty
    deps: set[tuple[str, str]] = field(default_factory=set)
    forms: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Scope:
    """Where a name is looked up: the current form, derived variables, an aggregate's form."""

    form: str | None = None
    derived: bool = False
    iterating: str | None = None


class Compiler:
    def __init__(self, resolver: Resolver, scope: Scope) -> None:
        self.resolver = resolver
        self.scope = scope
        self.deps: set[tuple[str, str]] = set()
        self.forms: set[str] = set()

    def compile(self, node: ast.Node) -> Compiled:
        fn, ty = self.visit(node)
        return Compiled(fn, ty, self.deps, self.forms)

    def visit(self, node: ast.Node) -> tuple[Fn, Ty]:
        method = getattr(self, f"_{type(node).__name__.lower()}")
        result: tuple[Fn, Ty] = method(node)
        return result

    def expect(self, node: ast.Node, kind: str, what: str) -> Fn:
        fn, ty = self.visit(node)
        if ty.kind not in (kind, BLANK):
            raise CompileError(f"{what} must be {Ty(kind).describe()}, not {ty.describe()}", node.column)
        return fn

    # literals

    def _number(self, node: ast.Number) -> tuple[Fn, Ty]:
        value = node.value
        return (lambda v, p, o: value), T_NUM

    def _string(self, node: ast.String) -> tuple[Fn, Ty]:
        value = node.value
        return (lambda v, p, o: value), T_TEXT

    def _blank(self, node: ast.Blank) -> tuple[Fn, Ty]:
        return (lambda v, p, o: None), T_BLANK

    # references

    def _ref(self, node: ast.Ref) -> tuple[Fn, Ty]:
        q, name = node.qualifier, node.name
        scope = self.scope
        if q == "settings":
            value = self.resolver.setting(name)
            if value is None:
                raise CompileError(f"unknown setting 'settings.{name}'", node.column)
            ty = T_NUM if isinstance(value, int | Decimal) else T_BOOL if isinstance(value, bool) else T_TEXT
            return (lambda v, p, o: value), ty
        if q == "this":
            if scope.iterating is None or scope.form is None:
                raise CompileError("'this.' is only meaningful inside an aggregate", node.column)
            return self._lookup_outer(scope.form, name, node)
        if q is None:
            if scope.iterating is not None and self.resolver.field_type(scope.iterating, name):
                return self._lookup_here(scope.iterating, name, node)
            if scope.form is not None and self.resolver.field_type(scope.form, name):
                if scope.iterating is not None:
                    return self._lookup_outer(scope.form, name, node)
                return self._lookup_here(scope.form, name, node)
            derived = self.resolver.derived_type(name) if scope.derived else None
            if derived is not None:
                self.deps.add(("", name))
                if scope.iterating is not None:
                    return (lambda v, p, o: o.get(name)), derived
                return (lambda v, p, o: v.get(name)), derived
            if self.resolver.is_form(name):
                raise CompileError(f"'{name}' is a form, not a variable", node.column)
            raise CompileError(f"unknown variable '{name}'", node.column)
        if not self.resolver.is_form(q):
            raise CompileError(f"unknown form '{q}' in '{node}'", node.column)
        if self.resolver.field_type(q, name) is None:
            raise CompileError(f"form '{q}' has no variable '{name}'", node.column)
        if q == scope.iterating:
            return self._lookup_here(q, name, node)
        if self.resolver.is_repeating(q):
            if q == scope.form and scope.iterating is None:
                return self._lookup_here(q, name, node)
            raise CompileError(
                f"'{q}' is a repeating form: use an aggregate such as max({q}.{name})", node.column
            )
        if q == scope.form and scope.iterating is None:
            return self._lookup_here(q, name, node)
        return self._lookup_once(q, name, node)

    def _typed(self, form: str, name: str) -> Ty:
        ty = self.resolver.field_type(form, name)
        assert ty is not None
        self.deps.add((form, name))
        return ty

    def _lookup_here(self, form: str, name: str, node: ast.Node) -> tuple[Fn, Ty]:
        ty = self._typed(form, name)
        return (lambda v, p, o: None if (x := v.get(name)).__class__ is MissingValue else x), ty

    def _lookup_outer(self, form: str, name: str, node: ast.Node) -> tuple[Fn, Ty]:
        ty = self._typed(form, name)
        return (lambda v, p, o: None if (x := o.get(name)).__class__ is MissingValue else x), ty

    def _lookup_once(self, form: str, name: str, node: ast.Node) -> tuple[Fn, Ty]:
        ty = self._typed(form, name)
        self.forms.add(form)

        def fn(v: Values, p: PatientView, o: Values) -> Any:
            values = p.once.get(form)
            return clean(values.get(name)) if values else None

        return fn, ty

    # operators

    def _arith(self, node: ast.Arith) -> tuple[Fn, Ty]:
        what = f"each side of '{node.op}'"
        left, right, op = self.expect(node.left, NUM, what), self.expect(node.right, NUM, what), node.op
        return (lambda v, p, o: arith(op, left(v, p, o), right(v, p, o))), T_NUM

    def _neg(self, node: ast.Neg) -> tuple[Fn, Ty]:
        inner = self.expect(node.operand, NUM, "the operand of '-'")
        return (lambda v, p, o: None if (x := inner(v, p, o)) is None else -x), T_NUM

    def _not(self, node: ast.Not) -> tuple[Fn, Ty]:
        inner = self.expect(node.operand, BOOL, "the operand of 'not'")
        return (lambda v, p, o: None if (x := inner(v, p, o)) is None else not x), T_BOOL

    def _logic(self, node: ast.Logic) -> tuple[Fn, Ty]:
        parts = [self.expect(n, BOOL, f"each operand of '{node.op}'") for n in node.operands]
        decisive: bool = node.op == "or"

        def fn(v: Values, p: PatientView, o: Values) -> bool | None:
            unknown = False
            for part in parts:
                x = part(v, p, o)
                if x is None:
                    unknown = True
                elif x is decisive:
                    return bool(x)
            return None if unknown else not decisive

        return fn, T_BOOL

    def _compare(self, node: ast.Compare) -> tuple[Fn, Ty]:
        (left, lty), (right, rty) = self.visit(node.left), self.visit(node.right)
        left, lty = self._coerce_literal(node.left, left, lty, rty)
        right, rty = self._coerce_literal(node.right, right, rty, lty)
        if not lty.fits(rty) or BOOL in (lty.kind, rty.kind) and lty.kind != rty.kind:
            raise CompileError(f"cannot compare {lty.describe()} with {rty.describe()}", node.column)
        if lty.kind == SET or rty.kind == SET:
            raise CompileError("use 'code in variable' to test a multiple-choice answer", node.column)
        return _comparison(node.op, left, right), T_BOOL

    def _coerce_literal(self, node: ast.Node, fn: Fn, ty: Ty, other: Ty) -> tuple[Fn, Ty]:
        """Literals take the type of what they are compared with; codes are checked against the list."""
        if isinstance(node, ast.Number | ast.String) and other.codes is not None:
            code = _as_code(node.value, other.codes)
            if code is None:
                shown = ", ".join(str(c) for c in sorted(other.codes, key=str))
                raise CompileError(f"{node.value} is not a code of {other.source} ({shown})", node.column)
            return (lambda v, p, o: code), Ty(other.kind, other.codes)
        if isinstance(node, ast.String) and other.kind == DATE:
            try:
                day = dt.date.fromisoformat(node.value)
            except ValueError:
                raise CompileError(f"'{node.value}' is not a date (YYYY-MM-DD)", node.column) from None
            return (lambda v, p, o: day), Ty(DATE)
        if isinstance(node, ast.Number) and other.kind == TEXT and other.codes is None:
            text = str(node.value)
            return (lambda v, p, o: text), T_TEXT
        return fn, ty

    def _inlist(self, node: ast.InList) -> tuple[Fn, Ty]:
        value, vty = self.visit(node.value)
        if vty.kind == SET:
            raise CompileError("a multiple-choice answer cannot be 'in' a list", node.column)
        items: list[Any] = []
        for item in node.items:
            if not isinstance(item, ast.Number | ast.String):
                raise CompileError("the list after 'in' holds literal values only", item.column)
            fn, ity = self._coerce_literal(item, lambda v, p, o: None, T_BLANK, vty)
            if isinstance(item, ast.Number) and vty.kind == TEXT:
                items.append(str(item.value))
            else:
                items.append(fn({}, PatientView(), {}) if ity.kind != BLANK else item.value)
        members, negate = frozenset(items), node.negate
        return (lambda v, p, o: (value(v, p, o) in members) != negate), T_BOOL

    def _inset(self, node: ast.InSet) -> tuple[Fn, Ty]:
        chosen, sty = self.visit(node.set)
        if sty.kind != SET:
            raise CompileError(f"'{node.set}' is not a multiple-choice variable", node.set.column)
        if isinstance(node.value, ast.Number | ast.String) and sty.codes is not None:
            code = _as_code(node.value.value, sty.codes)
            if code is None:
                raise CompileError(f"{node.value.value} is not a code of {sty.source}", node.value.column)
            value: Fn = lambda v, p, o: code  # noqa: E731
        else:
            value = self.visit(node.value)[0]
        negate = node.negate
        return (lambda v, p, o: (value(v, p, o) in (chosen(v, p, o) or ())) != negate), T_BOOL

    # functions and aggregates

    def _call(self, node: ast.Call) -> tuple[Fn, Ty]:
        name, args = node.function, node.args
        if name in ("max", "min", "sum", "mean", "count") and len(args) == 1 and isinstance(args[0], ast.Ref):
            aggregate = self._implicit_aggregate(node, args[0])
            if aggregate is not None:
                return aggregate
        spec = SCALAR_FUNCTIONS.get(name)
        if spec is None:
            raise CompileError(f"unknown function '{name}'", node.column)
        if not spec.min_args <= len(args) <= spec.max_args:
            raise CompileError(f"{name}() takes {spec.arity_text()}", node.column)
        compiled = [self.visit(a) for a in args]
        for position, (arg, (_, ty)) in enumerate(zip(args, compiled, strict=True)):
            wanted = spec.arg_kind(position)
            if wanted and ty.kind not in (wanted, BLANK):
                raise CompileError(
                    f"argument {position + 1} of {name}() must be {Ty(wanted).describe()}, "
                    f"not {ty.describe()}",
                    arg.column,
                )
        result_ty = spec.result([ty for _, ty in compiled])
        if result_ty is None:
            raise CompileError(f"the branches of {name}() have different types", node.column)
        return spec.build([fn for fn, _ in compiled]), result_ty

    def _implicit_aggregate(self, node: ast.Call, ref: ast.Ref) -> tuple[Fn, Ty] | None:
        """`max(form.field)` and `count(form)` are aggregates; `count(multichoice)` is not."""
        if (
            ref.qualifier
            and self.resolver.is_form(ref.qualifier)
            and self.resolver.is_repeating(ref.qualifier)
        ):
            body = ast.Ref(ref.column, None, ref.name)
            return self._aggregate(
                ast.Aggregate(node.column, node.function, ref.qualifier, (body,), None, None)
            )
        if node.function == "count" and ref.qualifier is None and self.resolver.is_form(ref.name):
            return self._aggregate(ast.Aggregate(node.column, "count", ref.name, (), None, None))
        return None

    def _aggregate(self, node: ast.Aggregate) -> tuple[Fn, Ty]:
        if self.scope.iterating is not None:
            raise CompileError("an aggregate cannot be nested in another aggregate", node.column)
        if not self.resolver.is_form(node.form):
            raise CompileError(f"unknown form '{node.form}'", node.column)
        if not self.resolver.is_repeating(node.form):
            raise CompileError(f"'{node.form}' is not a repeating form", node.column)
        spec: AggregateSpec | None = aggregate_spec(node.function)
        if spec is None:
            raise CompileError(f"'{node.function}' cannot aggregate a repeating form", node.column)
        if len(node.body) != spec.body_args:
            raise CompileError(
                f"{node.function}() over a form takes {spec.body_args} expression(s)", node.column
            )
        if spec.needs_by and node.by is None:
            raise CompileError(f"{node.function}() needs 'by' to say which instance comes first", node.column)
        inner = Compiler(self.resolver, Scope(self.scope.form, self.scope.derived, node.form))
        body = [inner.visit(b) for b in node.body]
        for b, (_, ty) in zip(node.body, body, strict=True):
            if spec.body_kind and ty.kind not in (spec.body_kind, BLANK):
                raise CompileError(f"{node.function}() needs {Ty(spec.body_kind).describe()}", b.column)
        where = inner.expect(node.where, BOOL, "the 'where' condition") if node.where else None
        by = inner.visit(node.by)[0] if node.by else None
        self.deps |= inner.deps
        self.forms |= inner.forms | {node.form}
        result_ty = spec.result_type(body[0][1] if body else T_NUM)
        return spec.build(node.form, [fn for fn, _ in body], where, by), result_ty


def _as_code(literal: int | Decimal | str, codes: frozenset[int | str]) -> int | str | None:
    text = str(literal)
    for code in codes:
        if code == literal or str(code) == text:
            return code
    return None


def _comparison(op: str, left: Fn, right: Fn) -> Fn:
    if op == "=":
        return lambda v, p, o: left(v, p, o) == right(v, p, o)
    if op == "!=":
        return lambda v, p, o: left(v, p, o) != right(v, p, o)
    ordered: Callable[[Any, Any], bool] = {
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
    }[op]

    def fn(v: Values, p: PatientView, o: Values) -> bool | None:
        a, b = left(v, p, o), right(v, p, o)
        if a is None or b is None:
            return None
        return bool(ordered(a, b))

    return fn


def compile_expression(node: ast.Node, resolver: Resolver, scope: Scope) -> Compiled:
    return Compiler(resolver, scope).compile(node)


__all__ = ["Compiled", "CompileError", "Compiler", "Resolver", "Scope", "compile_expression", "T_BOOL"]
