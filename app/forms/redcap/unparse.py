"""Write a syntax tree of our expression language back as text, with only the parentheses it needs.

`parse(unparse(node))` gives `node` again (columns aside): the importer builds trees and relies on
this to write `show_if` and `calc` text that means exactly what it built.
"""

from __future__ import annotations

from decimal import Decimal

from app.forms.expr import ast

# Binding strength, loosest first, as in grammar.lark.
_OR, _AND, _NOT, _COMPARE, _SUM, _PRODUCT, _NEG, _POWER, _ATOM = range(1, 10)


def unparse(node: ast.Node) -> str:
    return _text(node)[0]


def number_text(value: int | Decimal) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def string_text(value: str) -> str:
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"
    raise ValueError(f"text holding both kinds of quote cannot be written as a literal: {value}")


def _wrap(node: ast.Node, at_least: int) -> str:
    text, strength = _text(node)
    return text if strength >= at_least else f"({text})"


def _text(node: ast.Node) -> tuple[str, int]:
    if isinstance(node, ast.Number):
        text = number_text(node.value)
        return text, _NEG if text.startswith("-") else _ATOM
    if isinstance(node, ast.String):
        return string_text(node.value), _ATOM
    if isinstance(node, ast.Blank):
        return "blank", _ATOM
    if isinstance(node, ast.Ref):
        return str(node), _ATOM
    if isinstance(node, ast.Call):
        return f"{node.function}({', '.join(_text(a)[0] for a in node.args)})", _ATOM
    if isinstance(node, ast.Arith):
        return _arith(node)
    if isinstance(node, ast.Neg):
        return f"-{_wrap(node.operand, _NEG)}", _NEG
    if isinstance(node, ast.Not):
        return f"not {_wrap(node.operand, _NOT)}", _NOT
    if isinstance(node, ast.Compare):
        return f"{_wrap(node.left, _SUM)} {node.op} {_wrap(node.right, _SUM)}", _COMPARE
    if isinstance(node, ast.InList):
        items = ", ".join(_text(i)[0] for i in node.items)
        return f"{_wrap(node.value, _SUM)} {'not in' if node.negate else 'in'} ({items})", _COMPARE
    if isinstance(node, ast.InSet):
        return f"{_wrap(node.value, _SUM)} {'not in' if node.negate else 'in'} {node.set}", _COMPARE
    if isinstance(node, ast.Logic):
        strength = _OR if node.op == "or" else _AND
        return f" {node.op} ".join(_wrap(o, strength + 1) for o in node.operands), strength
    raise ValueError(f"cannot write a {type(node).__name__} node")


def _arith(node: ast.Arith) -> tuple[str, int]:
    if node.op == "^":
        return f"{_wrap(node.left, _ATOM)} ^ {_wrap(node.right, _NEG)}", _POWER
    strength = _SUM if node.op in "+-" else _PRODUCT
    # Left-associative: the right operand of a - b or a / b needs parentheses at the same strength.
    return f"{_wrap(node.left, strength)} {node.op} {_wrap(node.right, strength + 1)}", strength
