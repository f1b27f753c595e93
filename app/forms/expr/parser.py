"""Parse expression text into the syntax tree of `ast.py` with Lark (LALR, grammar.lark)."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from app.forms.expr import ast

_GRAMMAR = Path(__file__).with_name("grammar.lark").read_text(encoding="utf-8")


class ExpressionSyntaxError(ValueError):
    def __init__(self, message: str, column: int) -> None:
        super().__init__(message)
        self.column = column


def _column(item: Any) -> int:
    if isinstance(item, Token):
        return item.column or 1
    if isinstance(item, ast.Node):
        return item.column
    return 1


@v_args(inline=True)
class _ToAst(Transformer[Token, ast.Node]):
    def number(self, token: Token) -> ast.Number:
        text = str(token)
        value: int | Decimal = Decimal(text) if "." in text else int(text)
        return ast.Number(_column(token), value)

    def string(self, token: Token) -> ast.String:
        return ast.String(_column(token), str(token)[1:-1])

    def blank(self, token: Token | None = None) -> ast.Blank:
        return ast.Blank(_column(token))

    def ref(self, first: Token, second: Token | None = None) -> ast.Ref:
        if second is None:
            return ast.Ref(_column(first), None, str(first))
        return ast.Ref(_column(first), str(first), str(second))

    def call(self, name: Token, *args: ast.Node | None) -> ast.Call:
        return ast.Call(_column(name), str(name).lower(), tuple(a for a in args if a is not None))

    def agg_where(self, name: Token, form: Token, where: ast.Node) -> ast.Aggregate:
        return ast.Aggregate(_column(name), str(name).lower(), str(form), (), where, None)

    def agg_body(self, name: Token, form: Token, *rest: ast.Node | None) -> ast.Aggregate:
        *body, where, by = rest
        return ast.Aggregate(
            _column(name), str(name).lower(), str(form), tuple(b for b in body if b is not None), where, by
        )

    def compare(self, left: ast.Node, op: Token, right: ast.Node) -> ast.Compare:
        normal = {"==": "=", "<>": "!="}.get(str(op), str(op))
        return ast.Compare(_column(left), normal, left, right)

    def in_list(self, value: ast.Node, *items: ast.Node) -> ast.InList:
        return ast.InList(_column(value), value, tuple(items), False)

    def not_in_list(self, value: ast.Node, *items: ast.Node) -> ast.InList:
        return ast.InList(_column(value), value, tuple(items), True)

    def in_set(self, value: ast.Node, ref: ast.Ref) -> ast.InSet:
        return ast.InSet(_column(value), value, ref, False)

    def not_in_set(self, value: ast.Node, ref: ast.Ref) -> ast.InSet:
        return ast.InSet(_column(value), value, ref, True)

    def arith(self, left: ast.Node, op: Token, right: ast.Node) -> ast.Arith:
        return ast.Arith(_column(left), str(op), left, right)

    def pow(self, left: ast.Node, right: ast.Node) -> ast.Arith:
        return ast.Arith(_column(left), "^", left, right)

    def neg(self, operand: ast.Node) -> ast.Neg:
        return ast.Neg(_column(operand), operand)

    def not_(self, operand: ast.Node) -> ast.Not:
        return ast.Not(_column(operand), operand)

    def or_expr(self, *operands: ast.Node) -> ast.Logic:
        return ast.Logic(_column(operands[0]), "or", tuple(operands))

    def and_expr(self, *operands: ast.Node) -> ast.Logic:
        return ast.Logic(_column(operands[0]), "and", tuple(operands))


@cache
def _parser() -> Lark:
    return Lark(_GRAMMAR, parser="lalr", propagate_positions=True, maybe_placeholders=True)


@cache
def parse(text: str) -> ast.Node:
    """The syntax tree of `text`; raises ExpressionSyntaxError naming the column."""
    try:
        tree = _parser().parse(text)
        result = _ToAst().transform(tree)
    except UnexpectedCharacters as exc:
        raise ExpressionSyntaxError(f"unexpected character {exc.char!r}", exc.column) from exc
    except UnexpectedToken as exc:
        if exc.token.type == "$END":
            raise ExpressionSyntaxError("expression ends too early", len(text) + 1) from exc
        raise ExpressionSyntaxError(f"unexpected {str(exc.token)!r}", exc.column) from exc
    except UnexpectedInput as exc:
        raise ExpressionSyntaxError("cannot parse expression", exc.column) from exc
    except LarkError as exc:
        raise ExpressionSyntaxError(f"cannot parse expression: {exc}", 1) from exc
    if not isinstance(result, ast.Node):
        raise ExpressionSyntaxError("not an expression", 1)
    return result
