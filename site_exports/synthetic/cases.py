"""Synthetic patients of the anakinra study in study terms (codes, study days), clinically plausible.

A patient's story: CAR-T infusion (day 0) after lymphodepletion, CRS in the first days treated with
tocilizumab, ICANS a few days later treated with dexamethasone, anakinra when the toxicity is refractory,
sometimes an infection, then follow-up. Grades are computed by the study's own engine, so the maximum
and reported grades agree with the daily findings.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.forms.engine import validate
from app.forms.model import CompiledStudy

# (indication, story) by patient number: every site covers ICANS, CRS, both, a death and an adverse effect.
STORIES = ["icans", "crs", "both", "icans", "icans", "both", "icans", "crs"]


@dataclass(frozen=True)
class SiteCases:
    seed: str
    patients: int
    country: str  # US or ES: which products and settings exist
    crp_unit: int = 1
    ldh_uln: int = 250
    oldest: int | None = None  # patient number aged over 90 at infusion (age is top-coded)


@dataclass
class Case:
    number: int
    infusion: dt.date
    birth: dt.date
    once: dict[str, Any] = field(default_factory=dict)
    repeating: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _dec(value: float, places: int = 1) -> Decimal:
    return Decimal(str(round(value, places)))


def make_cases(study: CompiledStudy, site: SiteCases) -> list[Case]:
    rng = random.Random(site.seed)
    return [_case(study, site, rng, number) for number in range(site.patients)]


def _case(study: CompiledStudy, site: SiteCases, rng: random.Random, number: int) -> Case:
    story = STORIES[number % len(STORIES)]
    infusion = dt.date(2019, 3, 1) + dt.timedelta(days=rng.randint(0, 1550))
    age = 91 if number == site.oldest else rng.randint(26, 77)
    birth = infusion - dt.timedelta(days=age * 365 + age // 4 + rng.randint(1, 360))
    case = Case(number, infusion, birth)
    male = rng.random() < 0.6
    weight = _dec(rng.uniform(64, 96) if male else rng.uniform(50, 80))
    case.once.update(
        anakinra_indication={"icans": 1, "crs": 2, "both": 3}[story],
        refractory_to={"icans": (1,), "crs": (2,), "both": (1, 2)}[story],
        ethics_approval=1,
        sex=1 if male else 2,
        weight_kg=weight,
        height_cm=_dec(rng.uniform(166, 188) if male else rng.uniform(152, 172)),
        ecog=rng.choice([0, 0, 1, 1, 2]),
    )
    _disease(case, site, rng, number)
    crs, icans = _timeline(case, story, rng)
    _daily(study, case, crs, icans, rng)
    last = _treatments(case, story, crs, icans, weight, rng)
    _infections_and_followup(case, last, rng)
    return case


def _disease(case: Case, site: SiteCases, rng: random.Random, number: int) -> None:
    spain = site.country == "ES"
    disease = 6 if number == 5 else 99 if number == 6 else rng.choice([1, 1, 1, 1, 2, 3, 4])
    products = {
        1: [1, 1, 2, 4],
        2: [1, 2],
        3: [3],
        4: [2, 3, 7] if spain else [2, 3],
        6: [8, 6] if spain else [5, 6],
    }
    product = products.get(disease, [99])[rng.randrange(len(products.get(disease, [99])))]
    once = case.once
    once.update(disease=disease, prior_lines=rng.randint(4, 7) if disease == 6 else rng.randint(2, 4))
    if disease == 99:
        once["disease_other"] = "Burkitt lymphoma, relapsed"
    once.update(
        prior_auto_hct=1 if disease == 6 or rng.random() < 0.3 else 0,
        prior_allo_hct=1 if disease == 4 and rng.random() < 0.5 else 0,
        bridging=rng.choice([0, 1, 1, 2, 3, 4]),
        cns_involvement=1 if disease == 4 and rng.random() < 0.3 else 0,
        ferritin_pre_ld=Decimal(rng.randint(120, 3800)),
        crp_pre_ld=_dec(rng.uniform(2, 60)) if site.crp_unit == 1 else _dec(rng.uniform(0.2, 6), 2),
        crp_unit=site.crp_unit,
        ldh_pre_ld=rng.randint(170, 900),
        ldh_uln=site.ldh_uln,
        product=product,
    )
    if product == 99:
        once["product_other"] = "Academic anti-CD19/CD22 CAR-T"
    once.update(
        setting=3 if product in (7, 8) else 2 if product == 99 else 1,
        ld_regimen=2 if product == 2 and rng.random() < 0.4 else 1,
        ld_start_day=rng.choice([-6, -5, -5, -4]),
        split_dose=1 if product == 7 else 0,
        prophylaxis=(1,) if product in (1, 3) else rng.choice([(0,), (1,)]),
    )


def _timeline(
    case: Case, story: str, rng: random.Random
) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """(onset, resolution, peak grade) of CRS and of ICANS; (0, 0, 0) when it did not occur."""
    crs_onset = rng.randint(0, 3)
    crs = (crs_onset, crs_onset + rng.randint(3, 5), 3 if story == "crs" else rng.choice([1, 2]))
    icans = (0, 0, 0)
    if story != "crs":
        onset = crs_onset + rng.randint(2, 4)
        icans = (onset, onset + rng.randint(4, 6), rng.choice([2, 3, 3, 4]))
    return crs, icans


def _ice(total: int) -> dict[str, int]:
    items = {"ice_orientation": 4, "ice_naming": 3, "ice_commands": 1, "ice_writing": 1, "ice_attention": 1}
    left = total
    for name, top in items.items():
        items[name] = min(top, left)
        left -= items[name]
    return items


def _day(
    day: int, crs: tuple[int, int, int], icans: tuple[int, int, int], rng: random.Random
) -> dict[str, Any]:
    in_crs = crs[0] <= day < crs[1]
    peak_crs = in_crs and day == crs[0] + 1
    values: dict[str, Any] = {"assess_day": day, "fever_other_cause": 0, "cardioresp_other_cause": 0}
    values["tmax_c"] = _dec(
        rng.uniform(38.3, 39.6) if in_crs and day <= crs[0] + 1 else rng.uniform(36.4, 37.6)
    )
    values["anticytokine_given"] = 1 if in_crs and day > crs[0] else 0
    grade = crs[2] if peak_crs else 1
    values["hypotension"] = 1 if in_crs and grade >= 2 else 0
    if values["hypotension"]:
        values.update(vasopressors_n=1 if grade >= 3 else 0, vasopressin=0)
    values["o2_device"] = 1 if in_crs and grade >= 2 else 0
    if values["o2_device"]:
        values["o2_flow_lmin"] = Decimal(rng.choice([2, 3, 4]))
    in_icans = icans[0] <= day < icans[1]
    level = icans[2] if in_icans and day in (icans[0] + 1, icans[0] + 2) else 1 if in_icans else 0
    if level == 4:
        values.update(ice_not_done=1, consciousness=4)
    else:
        score = {0: 10, 1: rng.randint(7, 9), 2: rng.randint(3, 6), 3: rng.randint(0, 2)}[level]
        values.update(ice_not_done=0, **_ice(score), consciousness=min(level, rng.choice([0, 1])))
    values.update(consciousness_sedation=0, seizure=0, motor_weakness=0, cerebral_edema=0, grading_scale=1)
    values["icu"] = 1 if level >= 3 or (peak_crs and grade >= 3) else 0
    return values


def _daily(
    study: CompiledStudy,
    case: Case,
    crs: tuple[int, int, int],
    icans: tuple[int, int, int],
    rng: random.Random,
) -> None:
    first = min(crs[0], icans[0]) if icans[2] else crs[0]
    last = max(crs[1], icans[1])
    days = []
    for day in range(first, last + 1):
        values = _day(day, crs, icans, rng)
        computed = validate(study, "daily_assessment", values).computed
        values.update(crs_grade_reported=computed["crs_grade"], icans_grade_reported=computed["icans_grade"])
        days.append((values, computed))
    case.repeating["daily_assessment"] = [values for values, _ in days]
    crs_max = max(c["crs_grade"] or 0 for _, c in days)
    icans_max = max(c["icans_grade"] or 0 for _, c in days)
    case.once.update(crs_occurred=1, crs_onset_day=crs[0], crs_max_grade=crs_max, crs_resolution_day=crs[1])
    if icans[2]:
        case.once.update(icans_occurred=1, icans_onset_day=icans[0], icans_max_grade=icans_max)
        case.once["icans_resolution_day"] = icans[1]
    else:
        case.once["icans_occurred"] = 0


def _treatments(
    case: Case,
    story: str,
    crs: tuple[int, int, int],
    icans: tuple[int, int, int],
    weight: Decimal,
    rng: random.Random,
) -> int:
    """Tocilizumab, corticosteroids and anakinra; returns the last day of any treatment."""
    dose = min(800, int(weight * 8 / 20) * 20)
    toci_days = [crs[0], crs[0] + 1] if crs[2] >= 2 else [crs[0]]
    case.repeating["tocilizumab"] = [
        {"toci_day": day, "toci_dose_no": n, "toci_dose_mg": Decimal(dose), "toci_intent": 2}
        for n, day in enumerate(toci_days, start=1)
    ]
    steroids = []
    if story == "crs":
        steroids.append((1, 10, 4, 1, crs[0] + 1, crs[0] + 3, 1))
    else:
        start = icans[0]
        steroids.append((1, 10, 4, 1, start, start + 2, 2))
        if icans[2] >= 3:
            steroids.append((2, 1000, 1, 1, start + 3, start + 5, 2))
        steroids.append((1, 4, 2, 2, start + 6, start + 9, 2))
    case.repeating["corticosteroids"] = [
        dict(steroid_drug=d, steroid_dose_mg=Decimal(mg), steroid_freq_per_day=Decimal(f), steroid_route=r,
             steroid_start_day=a, steroid_stop_day=b, steroid_intent=i)
        for d, mg, f, r, a, b, i in steroids
    ]  # fmt: skip
    onset = crs[0] if story == "crs" else icans[0]
    start = onset + rng.randint(1, 2)
    high = rng.random() < 0.6 or case.number == 0
    segments = [(200, 3, 2, 3), (100, 2, 1, 2), (100, 1, 1, 2)] if high else [(100, 2, 1, 4), (100, 1, 1, 3)]
    if case.number == 4:
        segments = [(int(weight * 8), 5, 3, 4)]  # one continuous infusion at about 8 mg/kg/day
    rows: list[dict[str, Any]] = []
    indication = 1 if story != "crs" else 2
    for dose_mg, freq, route, length in segments:
        rows.append(
            {
                "anakinra_start_day": start,
                "anakinra_stop_day": start + length - 1,
                "anakinra_dose_mg": Decimal(dose_mg),
                "anakinra_freq": freq,
                "anakinra_route": route,
                "anakinra_indication": indication,
                "anakinra_weight_kg": weight,
            }
        )
        start += length
    # only the last segment stops treatment; the earlier ones end in a change of dose
    rows[-1]["anakinra_stop_reason"] = 2 if case.number == 3 else 1
    if case.number == 3:
        rows[-1]["anakinra_ae"] = (2, 3)
    case.repeating["anakinra"] = rows
    return max(start - 1, *(s[5] for s in steroids), crs[1], icans[1])


INFECTIONS = [
    (1, "Escherichia coli", 1, 3),
    (2, "Cytomegalovirus", 99, 2),
    (5, "", 2, 2),
    (3, "Aspergillus fumigatus", 2, 4),
    (2, "SARS-CoV-2", 2, 2),
    (1, "Staphylococcus epidermidis", 7, 2),
]


def _infections_and_followup(case: Case, last: int, rng: random.Random) -> None:
    number = case.number
    died_of_infection = number == 2
    infections = []
    for k in range(1 if died_of_infection else rng.choice([0, 1, 1, 2])):
        category, organism, site, grade = INFECTIONS[(number + k) % len(INFECTIONS)]
        infection = dict(infection_day=rng.randint(6, 40), infection_category=category, infection_site=site)
        infection.update(infection_grade=grade, **({"infection_organism": organism} if organism else {}))
        infections.append(infection)
    followup: dict[str, Any] = {}
    if died_of_infection:
        death = last + rng.randint(12, 25)
        infections[0].update(infection_day=death - 4, infection_category=3, infection_grade=5)
        infections[0].update(infection_organism="Aspergillus fumigatus", infection_site=2)
        followup.update(best_response=5, relapse=0, vital_status=2, death_day=death, death_cause=4)
    elif number == 4:
        relapse = rng.randint(90, 200)
        death = relapse + rng.randint(40, 120)
        followup.update(best_response=2, best_response_day=30, relapse=1, relapse_day=relapse)
        followup.update(vital_status=2, death_day=death, death_cause=1)
    else:
        followup.update(best_response=rng.choice([1, 1, 1, 2, 3]), best_response_day=rng.choice([28, 30, 90]))
        followup.update(relapse=0, vital_status=1)
    followup["last_followup_day"] = followup.get("death_day") or rng.randint(180, 700)
    case.once.update(followup)
    case.repeating["infections"] = infections
