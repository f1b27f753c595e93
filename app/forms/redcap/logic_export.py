"""Write one of our expressions as REDCap logic, for a classic (non-longitudinal) project.

The inverse of logic.py: `x in (1, 3)` becomes `([x] = '1' or [x] = '3')`, `c in m` becomes
`[m(c)] = '1'`, our signed `datediff` REDCap's `datediff(..., true)`. REDCap has no `not`, so
negations are pushed inwards. Aggregates over repeating forms and anything else without an
equivalent raise Untranslatable.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from app.forms.expr import ast
from app.forms.model import CField, CompiledStudy
from app.forms.redcap.logic import Untranslatable
from app.forms.redcap.unparse import number_text
from app.forms.schema import FieldType

_OR, _AND, _COMPARE, _SUM, _PRODUCT, _NEG, _POWER, _ATOM = 1, 2, 4, 5, 6, 7, 8, 9
_FLIP = {"=": "!=", "!=": "=", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
_SAME_FUNCTIONS = {"min", "max", "sum", "mean", "round", "rounddown", "roundup", "abs", "sqrt"}
_QUOTED = {
    FieldType.choice,
    FieldType.yesno,
    FieldType.text,
    FieldType.notes,
    FieldType.date,
    FieldType.datetime,
    FieldType.time,
}


def to_redcap(node: ast.Node, study: CompiledStudy, form: str) -> str:
    """REDCap logic for an expression read in `form`; raises Untranslatable."""
    return _Writer(study, form).text(node)[0]


def quote(value: str) -> str:
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    raise Untranslatable(f"text holding both kinds of quote: {value}")


def negate(node: ast.Node) -> ast.Node:
    """The negation of a condition without `not`, which REDCap lacks."""
    if isinstance(node, ast.Not):
        return node.operand
    if isinstance(node, ast.Compare):
        return replace(node, op=_FLIP[node.op])
    if isinstance(node, ast.InList | ast.InSet):
        return replace(node, negate=not node.negate)
    if isinstance(node, ast.Logic):
        return ast.Logic(
            node.column, "and" if node.op == "or" else "or", tuple(negate(o) for o in node.operands)
        )
    if isinstance(node, ast.Call) and node.function in ("blank", "present"):
        return replace(node, function="present" if node.function == "blank" else "blank")
    raise Untranslatable("REDCap has no 'not' for this condition")


class _Writer:
    def __init__(self, study: CompiledStudy, form: str) -> None:
        self.study = study
        self.form = form

    def wrap(self, node: ast.Node, at_least: int) -> str:
        text, strength = self.text(node)
        return text if strength >= at_least else f"({text})"

    def text(self, node: ast.Node) -> tuple[str, int]:
        if isinstance(node, ast.Number):
            return number_text(node.value), _ATOM
        if isinstance(node, ast.String):
            return quote(node.value), _ATOM
        if isinstance(node, ast.Blank):
            return "''", _ATOM
        if isinstance(node, ast.Ref):
            return self.ref(node), _ATOM
        if isinstance(node, ast.Arith):
            if node.op == "^":
                return f"{self.wrap(node.left, _ATOM)} ^ {self.wrap(node.right, _NEG)}", _POWER
            strength = _SUM if node.op in "+-" else _PRODUCT
            return (
                f"{self.wrap(node.left, strength)} {node.op} {self.wrap(node.right, strength + 1)}",
                strength,
            )
        if isinstance(node, ast.Neg):
            return f"-{self.wrap(node.operand, _NEG)}", _NEG
        if isinstance(node, ast.Not):
            return self.text(negate(node.operand))
        if isinstance(node, ast.Logic):
            strength = _OR if node.op == "or" else _AND
            return f" {node.op} ".join(self.wrap(o, strength + 1) for o in node.operands), strength
        if isinstance(node, ast.Compare):
            return self.compare(node.op, node.left, node.right), _COMPARE
        if isinstance(node, ast.InList):
            return self.in_list(node)
        if isinstance(node, ast.InSet):
            return self.in_set(node), _COMPARE
        if isinstance(node, ast.Call):
            return self.call(node), _ATOM
        if isinstance(node, ast.Aggregate):
            raise Untranslatable(f"{node.function}() over the form '{node.form}': REDCap has no aggregates")
        raise Untranslatable(f"cannot write a {type(node).__name__} as REDCap logic")

    # references

    def field(self, ref: ast.Ref) -> CField | None:
        if ref.qualifier in ("settings", "this"):
            return None
        form = self.study.forms.get(ref.qualifier or self.form)
        return form.fields.get(ref.name) if form else None

    def ref(self, ref: ast.Ref) -> str:
        if ref.qualifier == "settings":
            value = self.study.setting(ref.name)
            if isinstance(value, bool):
                return "1" if value else "0"
            return number_text(value) if isinstance(value, Decimal) else quote(str(value))
        if ref.qualifier == "this":
            raise Untranslatable(f"'{ref}' only exists inside an aggregate")
        if ref.qualifier and ref.qualifier != self.form and self.study.forms[ref.qualifier].repeating:
            raise Untranslatable(f"'{ref}' reads the repeating form '{ref.qualifier}'")
        cfield = self.field(ref)
        if cfield is not None and cfield.spec.type == FieldType.multichoice:
            raise Untranslatable(f"'{ref}' is a multiple choice: REDCap reads one option at a time")
        return f"[{ref.name}]"

    def options(self, ref: ast.Node) -> tuple[str, tuple[int | str, ...]]:
        cfield = self.field(ref) if isinstance(ref, ast.Ref) else None
        if cfield is None or cfield.spec.type != FieldType.multichoice or cfield.codes is None:
            raise Untranslatable("expected a multiple-choice variable")
        return cfield.name, cfield.codes

    # conditions

    def literal_for(self, literal: ast.Node, other: ast.Node) -> str:
        """REDCap quotes codes, texts and dates; numbers compared with numbers stay bare."""
        cfield = self.field(other) if isinstance(other, ast.Ref) else None
        if isinstance(literal, ast.Number) and cfield is not None and cfield.spec.type in _QUOTED:
            return quote(number_text(literal.value))
        return self.wrap(literal, _SUM)

    def compare(self, op: str, left: ast.Node, right: ast.Node) -> str:
        redcap_op = "<>" if op == "!=" else op
        left_text = self.literal_for(left, right) if isinstance(left, ast.Number) else self.wrap(left, _SUM)
        right_text = (
            self.literal_for(right, left) if isinstance(right, ast.Number) else self.wrap(right, _SUM)
        )
        return f"{left_text} {redcap_op} {right_text}"

    def in_list(self, node: ast.InList) -> tuple[str, int]:
        op, joiner = ("!=", "and") if node.negate else ("=", "or")
        parts = [self.compare(op, node.value, item) for item in node.items]
        if len(parts) == 1:
            return parts[0], _COMPARE
        return f"({f' {joiner} '.join(parts)})", _ATOM

    def in_set(self, node: ast.InSet) -> str:
        name, codes = self.options(node.set)
        if not isinstance(node.value, ast.Number | ast.String):
            raise Untranslatable(f"'{node.set}' can only be tested for a written code")
        return f"[{name}({node.value.value})] = '{0 if node.negate else 1}'"

    def any_option(self, ref: ast.Node, ticked: bool) -> str:
        name, codes = self.options(ref)
        joiner = " or " if ticked else " and "
        return "(" + joiner.join(f"[{name}({code})] = '{1 if ticked else 0}'" for code in codes) + ")"

    # functions

    def call(self, node: ast.Call) -> str:
        name, args = node.function, node.args
        if name in ("blank", "present"):
            multichoice = isinstance(args[0], ast.Ref) and self._is_multichoice(args[0])
            if multichoice:
                return self.any_option(args[0], ticked=name == "present")
            return f"{self.wrap(args[0], _SUM)} {'=' if name == 'blank' else '<>'} ''"
        if name == "abs" and isinstance(args[0], ast.Call) and args[0].function == "datediff":
            return self.datediff(args[0], signed=False)
        if name == "datediff":
            return self.datediff(node, signed=True)
        if name == "count" and self._is_multichoice(args[0]):
            option_names, codes = self.options(args[0])
            return f"sum({', '.join(f'[{option_names}({c})]' for c in codes)})"
        if name == "coalesce":
            return self.coalesce(args)
        if name == "if":
            otherwise = self.text(args[2])[0] if len(args) > 2 else "''"
            return f"if({self.text(args[0])[0]}, {self.text(args[1])[0]}, {otherwise})"
        if name == "today":
            raise Untranslatable("REDCap reads 'today' only inside datediff()")
        if name not in _SAME_FUNCTIONS:
            raise Untranslatable(f"{name}() has no REDCap equivalent")
        return f"{name}({', '.join(self.text(a)[0] for a in args)})"

    def _is_multichoice(self, node: ast.Node) -> bool:
        cfield = self.field(node) if isinstance(node, ast.Ref) else None
        return cfield is not None and cfield.spec.type == FieldType.multichoice

    def datediff(self, node: ast.Call, signed: bool) -> str:
        first, second, *rest = node.args
        unit = rest[0] if rest else ast.String(0, "d")
        if not isinstance(unit, ast.String):
            raise Untranslatable("datediff() with a unit that is not written out")
        dates = ", ".join("'today'" if _is_today(a) else self.text(a)[0] for a in (first, second))
        days_per_week = unit.value == "w"
        text = f"datediff({dates}, '{'d' if days_per_week else unit.value}'{', true' if signed else ''})"
        return f"({text} / 7)" if days_per_week else text

    def coalesce(self, args: tuple[ast.Node, ...]) -> str:
        first = self.text(args[0])[0]
        if len(args) == 1:
            return first
        return f"if({self.wrap(args[0], _SUM)} <> '', {first}, {self.coalesce(args[1:])})"


def _is_today(node: ast.Node) -> bool:
    return isinstance(node, ast.Call) and node.function == "today"
