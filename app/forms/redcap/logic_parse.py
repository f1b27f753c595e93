"""Parse REDCap logic (branching logic, calculations) with Lark into our expression syntax tree.

REDCap's operators, literals and calls map one to one onto the nodes of `app.forms.expr.ast`; only
its bracketed references (`[event][field(code):modifier][instance]`) and `true`/`false` need nodes
of their own. `logic.py` then turns that tree into an expression of our language.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedToken

from app.forms.expr import ast

_GRAMMAR = Path(__file__).with_name("logic.lark").read_text(encoding="utf-8")


class LogicSyntaxError(ValueError):
    pass


@dataclass(frozen=True)
class Brackets(ast.Node):
    """A reference: the text inside each `[...]` of one `[a][b]...` run, in order."""

    parts: tuple[str, ...]


@dataclass(frozen=True)
class Bool(ast.Node):
    value: bool


def _column(token: Token) -> int:
    return token.column or 1


@v_args(inline=True)
class _ToAst(Transformer[Token, ast.Node]):
    def number(self, token: Token) -> ast.Number:
        text = str(token)
        value: int | Decimal = Decimal(text) if "." in text else int(text)
        return ast.Number(_column(token), value)

    def string(self, token: Token) -> ast.String:
        return ast.String(_column(token), str(token)[1:-1])

    def true(self, token: Token) -> Bool:
        return Bool(_column(token), True)

    def false(self, token: Token) -> Bool:
        return Bool(_column(token), False)

    def ref(self, *tokens: Token) -> Brackets:
        return Brackets(_column(tokens[0]), tuple(str(t)[1:-1].strip() for t in tokens))

    def call(self, name: Token, *args: ast.Node | None) -> ast.Call:
        return ast.Call(_column(name), str(name).lower(), tuple(a for a in args if a is not None))

    def compare(self, left: ast.Node, op: Token, right: ast.Node) -> ast.Compare:
        normal = {"==": "=", "<>": "!="}.get(str(op), str(op))
        return ast.Compare(left.column, normal, left, right)

    def arith(self, left: ast.Node, op: Token, right: ast.Node) -> ast.Arith:
        return ast.Arith(left.column, str(op), left, right)

    def pow(self, left: ast.Node, right: ast.Node) -> ast.Arith:
        return ast.Arith(left.column, "^", left, right)

    def neg(self, operand: ast.Node) -> ast.Neg:
        return ast.Neg(operand.column, operand)

    def or_expr(self, *operands: ast.Node) -> ast.Logic:
        return ast.Logic(operands[0].column, "or", tuple(operands))

    def and_expr(self, *operands: ast.Node) -> ast.Logic:
        return ast.Logic(operands[0].column, "and", tuple(operands))


@cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", maybe_placeholders=True)


def parse_logic(text: str) -> ast.Node:
    """The syntax tree of a piece of REDCap logic; raises LogicSyntaxError saying where it stops."""
    try:
        result = _ToAst().transform(_parser().parse(text))
    except UnexpectedCharacters as exc:
        raise LogicSyntaxError(f"unexpected character {exc.char!r} at column {exc.column}") from exc
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            raise LogicSyntaxError("the logic ends too early") from exc
        raise LogicSyntaxError(f"unexpected {str(exc.token)!r} at column {exc.column}") from exc
    except LarkError as exc:
        raise LogicSyntaxError(f"cannot parse: {exc}") from exc
    if not isinstance(result, ast.Node):
        raise LogicSyntaxError("not an expression")
    return result
