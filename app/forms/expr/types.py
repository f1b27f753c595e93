"""Static types of expressions, and the runtime values they stand for.

num   int or Decimal          text  str            bool  True/False (None when unknown)
date  date or datetime        set   tuple of codes (a multiple-choice answer)
blank the literal `blank`, compatible with every other type

A `codes` set on num or text marks a coded variable (choice, yes/no): comparing it with a literal
that is not one of its codes is reported when the definition loads.
"""

from __future__ import annotations

from dataclasses import dataclass

NUM, TEXT, BOOL, DATE, SET, BLANK = "num", "text", "bool", "date", "set", "blank"


@dataclass(frozen=True)
class Ty:
    kind: str
    codes: frozenset[int | str] | None = None
    source: str = ""

    def fits(self, other: Ty) -> bool:
        """Whether values of the two types can be compared or combined."""
        return self.kind == other.kind or BLANK in (self.kind, other.kind)

    def describe(self) -> str:
        names = {NUM: "a number", TEXT: "text", BOOL: "a condition", DATE: "a date", SET: "a set of choices"}
        base = names.get(self.kind, "blank")
        return f"{self.source} ({base})" if self.source else base


T_NUM = Ty(NUM)
T_TEXT = Ty(TEXT)
T_BOOL = Ty(BOOL)
T_DATE = Ty(DATE)
T_BLANK = Ty(BLANK)
