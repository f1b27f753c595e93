"""The functions of the expression language: scalar ones and aggregates over a repeating form."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.forms.expr.runtime import PatientView, Values, normalise, round_to, to_decimal
from app.forms.expr.types import BLANK, BOOL, DATE, NUM, SET, T_BOOL, T_DATE, T_NUM, Ty

Fn = Callable[[Values, PatientView, Values], Any]


@dataclass(frozen=True)
class ScalarSpec:
    min_args: int
    max_args: int
    kinds: tuple[str | None, ...]
    result: Callable[[list[Ty]], Ty | None]
    build: Callable[[list[Fn]], Fn]

    def arg_kind(self, position: int) -> str | None:
        if not self.kinds:
            return None
        return self.kinds[min(position, len(self.kinds) - 1)]

    def arity_text(self) -> str:
        if self.min_args == self.max_args:
            return f"{self.min_args} argument(s)"
        if self.max_args > 99:
            return f"at least {self.min_args} argument(s)"
        return f"{self.min_args} to {self.max_args} arguments"


def _same_type(types: list[Ty]) -> Ty | None:
    known = [t for t in types if t.kind != BLANK]
    if not known:
        return types[0]
    if any(t.kind != known[0].kind for t in known):
        return None
    codes = known[0].codes if all(t.codes == known[0].codes for t in known) else None
    return Ty(known[0].kind, codes)


def _if(fns: list[Fn]) -> Fn:
    cond, yes = fns[0], fns[1]
    no = fns[2] if len(fns) > 2 else (lambda v, p, o: None)
    return lambda v, p, o: yes(v, p, o) if cond(v, p, o) is True else no(v, p, o)


def _present(values: list[Any]) -> list[Any]:
    return [x for x in values if x is not None]


def _reduce(pick: Callable[[list[Any]], Any]) -> Callable[[list[Fn]], Fn]:
    def build(fns: list[Fn]) -> Fn:
        def fn(v: Values, p: PatientView, o: Values) -> Any:
            values = _present([f(v, p, o) for f in fns])
            return pick(values) if values else None

        return fn

    return build


def _mean(values: list[Any]) -> Any:
    return normalise(sum((to_decimal(x) for x in values), Decimal(0)) / len(values))


def _rounding(kind: str) -> Callable[[list[Fn]], Fn]:
    def build(fns: list[Fn]) -> Fn:
        value = fns[0]
        places = fns[1] if len(fns) > 1 else (lambda v, p, o: 0)
        return lambda v, p, o: round_to(kind, value(v, p, o), places(v, p, o))

    return build


def _unary(op: Callable[[Any], Any]) -> Callable[[list[Fn]], Fn]:
    def build(fns: list[Fn]) -> Fn:
        inner = fns[0]
        return lambda v, p, o: None if (x := inner(v, p, o)) is None else op(x)

    return build


_DAYS_PER = {
    "d": Decimal(1),
    "h": Decimal(1) / 24,
    "m": Decimal(1) / 1440,
    "s": Decimal(1) / 86400,
    "w": Decimal(7),
    "M": Decimal("30.44"),
    "y": Decimal("365.2425"),
}


def _datediff(fns: list[Fn]) -> Fn:
    first, second, unit = fns[0], fns[1], fns[2] if len(fns) > 2 else (lambda v, p, o: "d")

    def fn(v: Values, p: PatientView, o: Values) -> Any:
        a, b, u = first(v, p, o), second(v, p, o), unit(v, p, o)
        if a is None or b is None or u not in _DAYS_PER:
            return None
        seconds = Decimal((_as_datetime(b) - _as_datetime(a)).total_seconds())
        return normalise(seconds / 86400 / _DAYS_PER[u])

    return fn


def _as_datetime(value: dt.date) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    return dt.datetime(value.year, value.month, value.day)


def _coalesce(fns: list[Fn]) -> Fn:
    def fn(v: Values, p: PatientView, o: Values) -> Any:
        for f in fns:
            x = f(v, p, o)
            if x is not None:
                return x
        return None

    return fn


def _blank_test(want_blank: bool) -> Callable[[list[Fn]], Fn]:
    def build(fns: list[Fn]) -> Fn:
        inner = fns[0]
        return lambda v, p, o: (inner(v, p, o) in (None, "", ())) == want_blank

    return build


def _num(_: list[Ty]) -> Ty:
    return T_NUM


def _bool(_: list[Ty]) -> Ty:
    return T_BOOL


def _first_arg(types: list[Ty]) -> Ty:
    return types[0]


MANY = 1000

SCALAR_FUNCTIONS: dict[str, ScalarSpec] = {
    "if": ScalarSpec(2, 3, (BOOL, None), lambda ts: _same_type(ts[1:]), _if),
    "min": ScalarSpec(1, MANY, (), _same_type, _reduce(min)),
    "max": ScalarSpec(1, MANY, (), _same_type, _reduce(max)),
    "sum": ScalarSpec(1, MANY, (NUM,), _num, _reduce(sum)),
    "mean": ScalarSpec(1, MANY, (NUM,), _num, _reduce(_mean)),
    "round": ScalarSpec(1, 2, (NUM,), _num, _rounding("round")),
    "rounddown": ScalarSpec(1, 2, (NUM,), _num, _rounding("rounddown")),
    "roundup": ScalarSpec(1, 2, (NUM,), _num, _rounding("roundup")),
    "abs": ScalarSpec(1, 1, (NUM,), _num, _unary(abs)),
    "sqrt": ScalarSpec(
        1, 1, (NUM,), _num, _unary(lambda x: normalise(to_decimal(x).sqrt()) if x >= 0 else None)
    ),
    "blank": ScalarSpec(1, 1, (), _bool, _blank_test(True)),
    "present": ScalarSpec(1, 1, (), _bool, _blank_test(False)),
    "coalesce": ScalarSpec(1, MANY, (), _same_type, _coalesce),
    "count": ScalarSpec(1, 1, (SET,), _num, _unary(len)),
    "datediff": ScalarSpec(2, 5, (DATE, DATE, None), _num, _datediff),
    "today": ScalarSpec(0, 0, (), lambda _: T_DATE, lambda fns: lambda v, p, o: dt.date.today()),
}


@dataclass(frozen=True)
class AggregateSpec:
    body_args: int
    body_kind: str | None
    needs_by: bool
    result_type: Callable[[Ty], Ty]
    reduce: Callable[[list[tuple[Any, ...]]], Any]

    def build(self, form: str, body: Sequence[Fn], where: Fn | None, by: Fn | None) -> Fn:
        reduce = self.reduce

        def fn(v: Values, p: PatientView, o: Values) -> Any:
            rows = []
            for item in p.repeating.get(form, ()):
                if where is not None and where(item, p, v) is not True:
                    continue
                key = by(item, p, v) if by is not None else None
                rows.append((key, *(b(item, p, v) for b in body)))
            return reduce(rows)

        return fn


def _values(rows: list[tuple[Any, ...]]) -> list[Any]:
    return [row[1] for row in rows if row[1] is not None]


def _reduce_rows(pick: Callable[[list[Any]], Any]) -> Callable[[list[tuple[Any, ...]]], Any]:
    def reduce(rows: list[tuple[Any, ...]]) -> Any:
        values = _values(rows)
        return pick(values) if values else None

    return reduce


def _ordered(last: bool) -> Callable[[list[tuple[Any, ...]]], Any]:
    def reduce(rows: list[tuple[Any, ...]]) -> Any:
        keyed = [row for row in rows if row[0] is not None]
        if not keyed:
            return None
        return (max if last else min)(keyed, key=lambda row: row[0])[1]

    return reduce


def _distinct_days(rows: list[tuple[Any, ...]]) -> Any:
    days: set[int] = set()
    for _, start, stop in rows:
        if start is None:
            continue
        end = start if stop is None else stop
        days.update(range(int(start), int(end) + 1))
    return len(days)


def _keep(ty: Ty) -> Ty:
    return ty


def _number(_: Ty) -> Ty:
    return T_NUM


_AGGREGATES: dict[str, AggregateSpec] = {
    "count": AggregateSpec(0, None, False, _number, len),
    "sum": AggregateSpec(1, NUM, False, _number, _reduce_rows(sum)),
    "mean": AggregateSpec(1, NUM, False, _number, _reduce_rows(_mean)),
    "min": AggregateSpec(1, None, False, _keep, _reduce_rows(min)),
    "max": AggregateSpec(1, None, False, _keep, _reduce_rows(max)),
    "first": AggregateSpec(1, None, True, _keep, _ordered(last=False)),
    "last": AggregateSpec(1, None, True, _keep, _ordered(last=True)),
    "distinct_days": AggregateSpec(2, NUM, False, _number, _distinct_days),
}


def aggregate_spec(name: str) -> AggregateSpec | None:
    return _AGGREGATES.get(name)
