"""What changed between two versions of a study definition, and which changes break stored data.

Breaking: a form or field removed, a form switched between once and repeating, a type changed under
the same name, a choice code removed, a hard range narrowed, fewer decimals allowed, a field made
required. Stored values may no longer fit the new definition, so a migration plan is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from app.forms.model import CField, CForm, CompiledStudy
from app.forms.schema import Range


@dataclass(frozen=True)
class Change:
    where: str
    what: str
    breaking: bool = False

    def __str__(self) -> str:
        mark = "BREAKING " if self.breaking else ""
        return f"{mark}{self.where}: {self.what}"


def _narrowed(old: Range | None, new: Range | None) -> bool:
    if new is None:
        return False
    old_min = old.min if old else None
    old_max = old.max if old else None
    return _tighter(old_min, new.min, lambda a, b: b > a) or _tighter(old_max, new.max, lambda a, b: b < a)


def _tighter(old: Any, new: Any, stricter: Any) -> bool:
    if new is None:
        return False
    if old is None:
        return True
    if isinstance(old, Decimal) and isinstance(new, Decimal):
        return bool(stricter(old, new))
    return str(old) != str(new)


def _range_text(rng: Range | None) -> str:
    return (
        "none"
        if rng is None
        else f"{rng.min if rng.min is not None else ''}..{rng.max if rng.max is not None else ''}"
    )


def _field_changes(where: str, old: CField, new: CField) -> list[Change]:
    o, n = old.spec, new.spec
    changes: list[Change] = []
    if o.type != n.type:
        changes.append(Change(where, f"type changed from {o.type.value} to {n.type.value}", True))
    old_codes = {c.code: c.label for c in o.choices or []}
    new_codes = {c.code: c.label for c in n.choices or []}
    for code in old_codes.keys() - new_codes.keys():
        changes.append(Change(where, f"choice code {code} removed", True))
    for code in new_codes.keys() - old_codes.keys():
        changes.append(Change(where, f"choice code {code} added"))
    for code in old_codes.keys() & new_codes.keys():
        if old_codes[code] != new_codes[code]:
            changes.append(Change(where, f"label of choice code {code} changed"))
    if o.range != n.range:
        narrowed = _narrowed(o.range, n.range)
        verb = "narrowed" if narrowed else "changed"
        changes.append(
            Change(
                where, f"hard range {verb} from {_range_text(o.range)} to {_range_text(n.range)}", narrowed
            )
        )
    if o.soft_range != n.soft_range:
        changes.append(Change(where, f"soft range changed to {_range_text(n.soft_range)}"))
    if (n.precision or 0) < (o.precision or 0) and n.precision is not None:
        changes.append(Change(where, f"precision reduced from {o.precision} to {n.precision} decimals", True))
    if n.required and not o.required:
        changes.append(Change(where, "became required: stored records may lack it", True))
    for attr in ("show_if", "required_if", "calc", "label", "help", "units", "identifier", "missing_codes"):
        if getattr(o, attr) != getattr(n, attr):
            changes.append(Change(where, f"{attr} changed"))
    return changes


def _form_changes(old: CForm, new: CForm) -> list[Change]:
    changes: list[Change] = []
    if old.repeating != new.repeating:
        kinds = ("once", "repeating")
        changes.append(
            Change(new.name, f"changed from {kinds[old.repeating]} to {kinds[new.repeating]}", True)
        )
    if old.spec.key != new.spec.key:
        changes.append(Change(new.name, f"key changed from {old.spec.key} to {new.spec.key}", True))
    for name in old.fields.keys() - new.fields.keys():
        changes.append(Change(f"{old.name}.{name}", "field removed", True))
    for name in new.fields.keys() - old.fields.keys():
        changes.append(Change(f"{new.name}.{name}", "field added"))
    for name in old.fields.keys() & new.fields.keys():
        changes.extend(_field_changes(f"{new.name}.{name}", old.fields[name], new.fields[name]))
    old_rules = {r.spec.name: r.spec for r in old.rules}
    new_rules = {r.spec.name: r.spec for r in new.rules}
    changes.extend(_named_changes(f"{new.name} rule", old_rules, new_rules))
    return changes


def _named_changes(where: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    changes = [Change(f"{where} {name}", "removed") for name in old.keys() - new.keys()]
    changes += [Change(f"{where} {name}", "added") for name in new.keys() - old.keys()]
    changes += [
        Change(f"{where} {name}", "changed") for name in old.keys() & new.keys() if old[name] != new[name]
    ]
    return changes


def diff_studies(old: CompiledStudy, new: CompiledStudy) -> list[Change]:
    """Every change from `old` to `new`, breaking ones flagged; empty when the content is identical."""
    if old.content_hash == new.content_hash:
        return []
    changes: list[Change] = []
    if old.spec.version != new.spec.version:
        changes.append(Change("study", f"version {old.spec.version} -> {new.spec.version}"))
    for name in old.forms.keys() - new.forms.keys():
        changes.append(Change(name, "form removed", True))
    for name in new.forms.keys() - old.forms.keys():
        changes.append(Change(name, "form added"))
    for name in [f for f in new.forms if f in old.forms]:
        changes.extend(_form_changes(old.forms[name], new.forms[name]))
    changes += _named_changes(
        "study rule", {r.spec.name: r.spec for r in old.rules}, {r.spec.name: r.spec for r in new.rules}
    )
    changes += _named_changes(
        "derived", {d.name: d.spec for d in old.derived}, {d.name: d.spec for d in new.derived}
    )
    changes += _named_changes(
        "site", {s.code: s for s in old.spec.sites}, {s.code: s for s in new.spec.sites}
    )
    changes += _named_changes("setting", old.spec.settings, new.spec.settings)
    return sorted(changes, key=lambda c: (not c.breaking, c.where))
