"""Syntax tree of an expression, built from the Lark parse tree by `parser.py`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Node:
    column: int


@dataclass(frozen=True)
class Number(Node):
    value: int | Decimal


@dataclass(frozen=True)
class String(Node):
    value: str


@dataclass(frozen=True)
class Blank(Node):
    pass


@dataclass(frozen=True)
class Ref(Node):
    """`name`, or `qualifier.name` where the qualifier is a form, `settings` or `this`."""

    qualifier: str | None
    name: str

    def __str__(self) -> str:
        return f"{self.qualifier}.{self.name}" if self.qualifier else self.name


@dataclass(frozen=True)
class Call(Node):
    function: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Aggregate(Node):
    """An aggregate over the instances of a repeating form, e.g. `max(form: expr where cond)`."""

    function: str
    form: str
    body: tuple[Node, ...]
    where: Node | None
    by: Node | None


@dataclass(frozen=True)
class Compare(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class InList(Node):
    value: Node
    items: tuple[Node, ...]
    negate: bool


@dataclass(frozen=True)
class InSet(Node):
    value: Node
    set: Ref
    negate: bool


@dataclass(frozen=True)
class Arith(Node):
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class Logic(Node):
    op: str
    operands: tuple[Node, ...]
