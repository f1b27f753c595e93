"""Demo users for every site and role, and synthetic patients entered through the one write path."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.auth.actor import SYSTEM, Actor
from app.auth.service import actor_for_user, add_user
from app.core.errors import ValidationFailed
from app.demo.synthetic import form_values
from app.forms.model import CompiledStudy
from app.models import Record, User
from app.records.patient import load_patient
from app.records.service import create_record, save_form
from app.sites.service import sync_sites

DOMAIN = "demo.example"


@dataclass
class DemoLogin:
    email: str
    role: str
    site: str | None


@dataclass
class SeedReport:
    logins: list[DemoLogin] = field(default_factory=list)
    users_created: int = 0
    patients_created: int = 0
    instances_saved: int = 0
    instances_skipped: int = 0


def demo_accounts(study: CompiledStudy) -> list[DemoLogin]:
    accounts = [DemoLogin(f"{role}@{DOMAIN}", role, None) for role in ("monitor", "coordinator", "admin")]
    for site in study.spec.sites:
        code = site.code.lower()
        accounts.append(DemoLogin(f"manager.{code}@{DOMAIN}", "site_manager", site.code))
        accounts.append(DemoLogin(f"entry.{code}@{DOMAIN}", "site_entry", site.code))
    return accounts


def seed_users(session: Session, study: CompiledStudy, password: str, report: SeedReport) -> None:
    sync_sites(session, study)
    for account in demo_accounts(study):
        report.logins.append(account)
        if session.scalar(select(User.id).where(User.email == account.email)) is None:
            language = next((s.language for s in study.spec.sites if s.code == account.site), "en")
            add_user(session, SYSTEM, account.email, account.role, account.site, password, language=language)
            report.users_created += 1


def _manager(session: Session, site: str) -> Actor:
    user = session.scalar(select(User).where(User.email == f"manager.{site.lower()}@{DOMAIN}"))
    assert user is not None
    return actor_for_user(session, user, "demo").via("demo")


def seed_patients(
    session: Session, study: CompiledStudy, site: str, per_site: int, seed: int, report: SeedReport
) -> None:
    """`per_site` synthetic patients at `site` unless it has some already (so running twice adds nothing)."""
    rng = random.Random(f"{seed}-{site}")
    actor = _manager(session, site)
    existing = session.scalar(select(func.count()).select_from(Record).where(Record.site_id == actor.site_id))
    if existing:
        return
    for _ in range(per_site):
        record = create_record(session, actor)
        report.patients_created += 1
        for cform in study.forms.values():
            for _ in range(rng.randint(1, 3) if cform.repeating else 1):
                patient = load_patient(session, study, record)
                instance = patient.next_instance(cform.name) if cform.repeating else None
                raw = form_values(study, cform, rng, patient.data, instance)
                try:
                    save_form(
                        session,
                        study,
                        actor,
                        record.record_id,
                        cform.name,
                        None,
                        raw,
                        new_instance=cform.repeating,
                        patient=patient,
                    )
                    report.instances_saved += 1
                except ValidationFailed:
                    report.instances_skipped += 1
