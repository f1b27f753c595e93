"""Translate REDCap logic into our expression language, knowing the type of every field.

REDCap writes every literal as text (`[weight] > '100'`, `[sex] = "1"`), tests blanks with `""` and
checkbox options as `[field(code)] = '1'`; ours wants numbers for numbers, `blank(x)`/`present(x)`
and `code in field`. Whatever has no faithful equivalent raises Untranslatable with the reason, so
the importer keeps the field, drops the logic and says why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from app.forms.expr import ast
from app.forms.expr.types import BOOL, DATE, NUM, SET, TEXT
from app.forms.redcap.logic_parse import Bool, Brackets, LogicSyntaxError, parse_logic
from app.forms.redcap.unparse import unparse

# REDCap functions that ours has under the same name and meaning.
_SAME_FUNCTIONS = {"sum", "min", "max", "mean", "round", "roundup", "rounddown", "abs", "sqrt"}
_NUMERIC_FUNCTIONS = _SAME_FUNCTIONS - {"min", "max"}
_DATEDIFF_UNITS = {"y", "M", "d", "h", "m", "s"}
_DATE_FORMATS = {"ymd", "mdy", "dmy"}
_KEYWORDS = {"and", "or", "not", "in", "where", "by", "blank"}
# One `[...]`: `name`, `name(code)`, `name:modifier`, `name(code):modifier`.
_BRACKET = re.compile(r"^(?P<name>[A-Za-z0-9_\-]+)(?:\((?P<code>[^()]*)\))?(?::(?P<modifier>[A-Za-z\-]+))?$")

Typed = tuple[ast.Node, str]


class Untranslatable(ValueError):
    pass


@dataclass(frozen=True)
class Variable:
    """What the translator needs to know of one field of the dictionary."""

    name: str
    form: str
    kind: str  # NUM, TEXT, DATE, SET (checkbox), or "" for a field expressions cannot read
    codes: tuple[str, ...] = ()

    @property
    def numeric_codes(self) -> bool:
        return bool(self.codes) and all(re.fullmatch(r"[+-]?\d+", c) for c in self.codes)


@dataclass
class Translation:
    text: str
    warnings: list[str] = field(default_factory=list)


def translate(logic: str, variables: Mapping[str, Variable], form: str) -> Translation:
    """Our expression for a piece of REDCap logic read in `form`; raises Untranslatable."""
    try:
        tree = parse_logic(logic)
    except LogicSyntaxError as exc:
        raise Untranslatable(f"not REDCap logic we can read: {exc}") from None
    translator = _Translator(variables, form)
    node, _ = translator.visit(tree)
    try:
        return Translation(unparse(node), translator.warnings)
    except ValueError as exc:
        raise Untranslatable(str(exc)) from None


def _number(text: str) -> ast.Node | None:
    """A REDCap literal written as text (`'12'`, `"-3.5"`) as a number of ours, or None."""
    text = text.strip()
    if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
        return None
    digits = text.lstrip("+-").rstrip(".")
    number = ast.Number(0, Decimal(digits) if "." in digits else int(digits))
    return ast.Neg(0, number) if text.startswith("-") else number


def _is_text(node: ast.Node, *values: str) -> bool:
    return isinstance(node, ast.String) and (not values or node.value in values)


class _Translator:
    def __init__(self, variables: Mapping[str, Variable], form: str) -> None:
        self.variables = variables
        self.form = form
        self.warnings: list[str] = []

    def warn(self, text: str) -> None:
        if text not in self.warnings:
            self.warnings.append(text)

    def visit(self, node: ast.Node) -> Typed:
        if isinstance(node, ast.Number):
            return node, NUM
        if isinstance(node, ast.String):
            return node, TEXT
        if isinstance(node, Brackets):
            return self.reference(node)
        if isinstance(node, ast.Compare):
            return self.compare(node)
        if isinstance(node, ast.Arith):
            left, right = self.number(node.left), self.number(node.right)
            return ast.Arith(0, node.op, left, right), NUM
        if isinstance(node, ast.Neg):
            return ast.Neg(0, self.number(node.operand)), NUM
        if isinstance(node, ast.Logic):
            return ast.Logic(0, node.op, tuple(self.visit(o)[0] for o in node.operands)), BOOL
        if isinstance(node, ast.Call):
            return self.call(node)
        if isinstance(node, Bool):
            raise Untranslatable(
                f"'{str(node.value).lower()}' only has a meaning as datediff()'s last argument"
            )
        raise Untranslatable(f"cannot translate {type(node).__name__}")

    # references

    def resolve(self, node: Brackets) -> tuple[Variable, str | None]:
        parts = list(node.parts)
        if len(parts) == 2 and self._name_of(parts[0]) not in self.variables:
            self.warn(f"event [{parts[0]}] dropped from [{parts[0]}][{parts[1]}]: a study has no events")
            parts = parts[1:]
        if len(parts) != 1:
            shown = "".join(f"[{p}]" for p in node.parts)
            raise Untranslatable(f"{shown} reads one instance of a repeating form: no equivalent")
        match = _BRACKET.match(parts[0])
        if match is None:
            raise Untranslatable(f"[{parts[0]}] is not a field reference")
        name, code, modifier = match.group("name"), match.group("code"), match.group("modifier")
        variable = self.variables.get(name)
        if variable is None:
            raise Untranslatable(
                f"[{name}] is not a field of the dictionary (a smart variable? the record id?)"
            )
        if modifier not in (None, "value"):
            raise Untranslatable(f"[{parts[0]}]: the smart-variable modifier ':{modifier}' has no equivalent")
        if not variable.kind:
            raise Untranslatable(f"[{name}] is a field that expressions cannot read")
        if name in _KEYWORDS:
            raise Untranslatable(f"[{name}] is named like a word of our expression language")
        if code is not None:
            code = self._checkbox_code(variable, code.strip())
        elif variable.kind == SET:
            raise Untranslatable(f"[{name}] is a checkbox: logic must name an option, as [{name}(code)]")
        return variable, code

    @staticmethod
    def _name_of(part: str) -> str:
        match = _BRACKET.match(part)
        return match.group("name") if match else part

    @staticmethod
    def _checkbox_code(variable: Variable, code: str) -> str:
        if variable.kind != SET:
            raise Untranslatable(f"[{variable.name}({code})]: only a checkbox field has options in brackets")
        for known in variable.codes:
            if known == code or known.lower() == code.lower():
                return known
        raise Untranslatable(f"[{variable.name}({code})]: '{code}' is not one of its options")

    def ref(self, variable: Variable) -> ast.Ref:
        return ast.Ref(0, None if variable.form == self.form else variable.form, variable.name)

    def code_literal(self, variable: Variable, code: str) -> ast.Node:
        literal = _number(code) if variable.numeric_codes else None
        return literal if literal is not None else ast.String(0, code)

    def reference(self, node: Brackets) -> Typed:
        variable, code = self.resolve(node)
        if code is None:
            return self.ref(variable), variable.kind
        # A checkbox option reads as 1 when ticked and 0 when not.
        ticked = ast.InSet(0, self.code_literal(variable, code), self.ref(variable), False)
        return ast.Call(0, "if", (ticked, ast.Number(0, 1), ast.Number(0, 0))), NUM

    # operators

    def number(self, node: ast.Node) -> ast.Node:
        if isinstance(node, ast.String):
            literal = _number(node.value)
            if literal is None:
                raise Untranslatable(f"'{node.value}' is used as a number")
            return literal
        return self.visit(node)[0]

    def compare(self, node: ast.Compare) -> Typed:
        left, right, op = node.left, node.right, node.op
        if _is_text(left, "") and not _is_text(right):
            left, right = right, left
        if _is_text(right, ""):
            return self.blank_test(left, op), BOOL
        checkbox = self.checkbox_test(left, op, right) or self.checkbox_test(right, op, left)
        if checkbox is not None:
            return checkbox, BOOL
        (lnode, lkind), (rnode, rkind) = self.visit(left), self.visit(right)
        lnode, rnode = self.coerce(lnode, rkind), self.coerce(rnode, lkind)
        return ast.Compare(0, op, lnode, rnode), BOOL

    def blank_test(self, operand: ast.Node, op: str) -> ast.Node:
        if op not in ("=", "!="):
            raise Untranslatable(f"'{op} \"\"' compares with a blank")
        if isinstance(operand, Brackets) and self.resolve(operand)[1] is not None:
            raise Untranslatable("a checkbox option is never blank (it is 0 or 1)")
        inner, _ = self.visit(operand)
        return ast.Call(0, "blank" if op == "=" else "present", (inner,))

    def checkbox_test(self, side: ast.Node, op: str, other: ast.Node) -> ast.Node | None:
        """`[field(code)] = '1'` is `code in field`; `= '0'` and `<> '1'` are `code not in field`."""
        if not isinstance(side, Brackets) or op not in ("=", "!="):
            return None
        if not isinstance(other, ast.Number | ast.String) or str(other.value).strip() not in ("0", "1"):
            return None
        variable, code = self.resolve(side)
        if code is None:
            return None
        ticked = (str(other.value).strip() == "1") == (op == "=")
        return ast.InSet(0, self.code_literal(variable, code), self.ref(variable), not ticked)

    def coerce(self, node: ast.Node, other: str) -> ast.Node:
        """A REDCap literal takes the type of what it is compared with."""
        if not isinstance(node, ast.String):
            return node
        if other == NUM:
            literal = _number(node.value)
            if literal is None:
                raise Untranslatable(f"'{node.value}' is compared with a number")
            return literal
        if other == DATE and node.value.lower() in ("today", "now"):
            return self.today(node.value)
        return node

    def today(self, word: str) -> ast.Call:
        if word.lower() == "now":
            self.warn("'now' read as today(): the time of day is not kept")
        return ast.Call(0, "today", ())

    # functions

    def call(self, node: ast.Call) -> Typed:
        name, args = node.function, node.args
        if name == "datediff":
            return self.datediff(args), NUM
        if name == "if":
            return self.if_(args)
        if name == "isblankormissingcode" and len(args) == 1:
            return ast.Call(0, "blank", (self.visit(args[0])[0],)), BOOL
        if name not in _SAME_FUNCTIONS:
            raise Untranslatable(f"{name}() has no equivalent in our expression language")
        if name in _NUMERIC_FUNCTIONS:
            return ast.Call(0, name, tuple(self.number(a) for a in args)), NUM
        typed = [self.visit(a) for a in args]
        kinds = {kind for node, kind in typed if not isinstance(node, ast.String)}
        kind = NUM if NUM in kinds or not kinds else next(iter(kinds))
        return ast.Call(0, name, tuple(self.coerce(node, kind) for node, _ in typed)), kind

    def if_(self, args: tuple[ast.Node, ...]) -> Typed:
        if len(args) != 3:
            raise Untranslatable(f"if() takes 3 arguments in REDCap, not {len(args)}")
        condition = self.visit(args[0])[0]
        branches = [self.visit(a) for a in args[1:]]
        kinds = {kind for (node, kind) in branches if not isinstance(node, ast.String)}
        texts = [a.value for a in args[1:] if isinstance(a, ast.String) and a.value != ""]
        # REDCap calculations are numeric: `if(c, "1", "")` yields the number 1.
        numeric = NUM in kinds or (not kinds and all(_number(t) is not None for t in texts))
        kind = NUM if numeric else next(iter(kinds), TEXT)
        values: list[ast.Node] = []
        for arg, (node, _) in zip(args[1:], branches, strict=True):
            if _is_text(arg, ""):
                values.append(ast.Blank(0))
            elif kind == NUM and isinstance(arg, ast.String):
                values.append(self.number(arg))
            else:
                values.append(node)
        return ast.Call(0, "if", (condition, *values)), kind

    def datediff(self, args: tuple[ast.Node, ...]) -> ast.Node:
        """REDCap's datediff is unsigned unless its last argument is true; ours is always signed."""
        if len(args) < 3 or not isinstance(args[2], ast.String):
            raise Untranslatable("datediff() needs two dates and a unit written as text")
        unit = args[2].value
        if unit not in _DATEDIFF_UNITS:
            raise Untranslatable(
                f"datediff() unit '{unit}' is not one of {' '.join(sorted(_DATEDIFF_UNITS))}"
            )
        signed = False
        for extra in args[3:]:
            if isinstance(extra, Bool):
                signed = extra.value
            elif not _is_text(extra, *_DATE_FORMATS):
                raise Untranslatable("datediff() takes a date format and true/false after the unit")
        dates = tuple(self.date(a) for a in args[:2])
        diff = ast.Call(0, "datediff", (*dates, ast.String(0, unit)))
        return diff if signed else ast.Call(0, "abs", (diff,))

    def date(self, node: ast.Node) -> ast.Node:
        if isinstance(node, ast.String):
            if node.value.lower() in ("today", "now"):
                return self.today(node.value)
            raise Untranslatable(f"datediff() of '{node.value}': our language has no date literals")
        translated, kind = self.visit(node)
        if kind != DATE:
            raise Untranslatable("datediff() of something that is not a date field")
        return translated
