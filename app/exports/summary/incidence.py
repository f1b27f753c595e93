"""Cumulative incidence of an event with a competing event (Aalen–Johansen), and its curve as SVG.

Each patient contributes one time and one status: the event (1) at its time when it happened first,
the competing event (2) at its time, or censoring (0) at the last follow-up. At each distinct time t,
with n at risk, d1 events and d2 competing events, and S the all-cause event-free probability just
before t:  CIF1(t) = CIF1(t-) + S(t-) d1/n  and  S(t) = S(t-) (1 - (d1 + d2)/n).
Events at a time count before censorings at that time (the censored are still at risk).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


@dataclass(frozen=True)
class Step:
    time: float
    at_risk: int
    events: int
    competing: int
    incidence: float  # of the event, just after `time`


@dataclass
class Curve:
    key: str
    label: str
    n: int
    steps: list[Step] = field(default_factory=list)
    shown: bool = True  # False when suppressed for small numbers

    def at(self, day: float) -> tuple[float, int, int]:
        """Incidence by `day`, patients at risk on `day` (followed that long, no event yet), events by it."""
        incidence, events = 0.0, 0
        for step in self.steps:
            if step.time > day:
                break
            incidence, events = step.incidence, events + step.events
        at_risk = next((s.at_risk for s in self.steps if s.time >= day), 0)
        return incidence, at_risk, events


def patient_time(
    event: float | None,
    competing: float | None,
    event_time: float | None,
    competing_time: float | None,
    censor_time: float | None,
) -> tuple[float, int] | None:
    """(time, status) of one patient, or None when the times needed are missing."""
    candidates = []
    if event == 1 and event_time is not None:
        candidates.append((event_time, 0, 1))
    if competing == 1 and competing_time is not None:
        candidates.append((competing_time, 1, 2))
    if candidates:
        time, _, status = min(candidates)
        return time, status
    if event == 1 or competing == 1 or censor_time is None:
        return None
    return censor_time, 0


def aalen_johansen(observations: list[tuple[float, int]]) -> list[Step]:
    """The estimator's steps at every distinct time with an event, a competing event or a censoring."""
    by_time: dict[float, Counter[int]] = {}
    for time, status in observations:
        by_time.setdefault(time, Counter())[status] += 1
    at_risk, survival, incidence = len(observations), 1.0, 0.0
    steps = []
    for time in sorted(by_time):
        counts = by_time[time]
        d1, d2 = counts[1], counts[2]
        if at_risk and (d1 or d2):
            incidence += survival * d1 / at_risk
            survival *= 1 - (d1 + d2) / at_risk
        steps.append(Step(time, at_risk, d1, d2, incidence))
        at_risk -= d1 + d2 + counts[0]
    return steps


def svg(curves: list[Curve], days: tuple[int, ...], title: str, x_label: str) -> str:
    """Step curves of the cumulative incidence, one colour per group, the report days dashed."""
    width, height, left, bottom, top, right = 640, 360, 56, 44, 28, 150
    shown = [c for c in curves if c.shown and c.steps]
    x_max = max([*(s.time for c in shown for s in c.steps), *days, 1.0])
    y_max = max(0.1, min(1.0, max((s.incidence for c in shown for s in c.steps), default=0.1) * 1.15))

    def x(t: float) -> float:
        return left + (width - left - right) * max(t, 0) / x_max

    def y(p: float) -> float:
        return height - bottom - (height - bottom - top) * p / y_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" font-family="system-ui, sans-serif" font-size="11">',
        f'<text x="{left}" y="16" font-size="13">{escape(title)}</text>',
        f'<line x1="{left}" y1="{y(0)}" x2="{x(x_max)}" y2="{y(0)}" stroke="#333"/>',
        f'<line x1="{left}" y1="{y(0)}" x2="{left}" y2="{y(y_max)}" stroke="#333"/>',
        f'<text x="{(left + x(x_max)) / 2}" y="{height - 8}" text-anchor="middle">{escape(x_label)}</text>',
    ]
    for i in range(6):
        p = y_max * i / 5
        parts.append(f'<text x="{left - 6}" y="{y(p) + 4:.1f}" text-anchor="end">{100 * p:.0f}%</text>')
    for day in sorted({0, *days, round(x_max)}):
        parts.append(f'<text x="{x(day):.1f}" y="{y(0) + 16}" text-anchor="middle">{day}</text>')
    for day in days:
        parts.append(
            f'<line x1="{x(day):.1f}" y1="{y(0)}" x2="{x(day):.1f}" y2="{y(y_max)}" stroke="#999" '
            'stroke-dasharray="4 3"/>'
        )
    for i, curve in enumerate(shown):
        colour = COLOURS[i % len(COLOURS)]
        points, level = [f"{x(0):.1f},{y(0):.1f}"], 0.0
        for step in curve.steps:
            points += [f"{x(step.time):.1f},{y(level):.1f}", f"{x(step.time):.1f},{y(step.incidence):.1f}"]
            level = step.incidence
        points.append(f"{x(x_max):.1f},{y(level):.1f}")
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>'
        )
        legend_y = top + 16 * i
        parts.append(
            f'<rect x="{width - right + 12}" y="{legend_y}" width="12" height="3" fill="{colour}"/>'
            f'<text x="{width - right + 30}" y="{legend_y + 5}">{escape(curve.label)} (n={curve.n})</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
