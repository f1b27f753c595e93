"""Keeping the sites table in step with the study definition's list of sites."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.errors import NotFound
from app.forms.model import CompiledStudy
from app.models import Site


def sync_sites(session: Session, study: CompiledStudy) -> list[Site]:
    """Create the sites the definition declares and update their names; never delete one with data."""
    existing = {site.code: site for site in session.scalars(select(Site))}
    for declared in study.spec.sites:
        site = existing.get(declared.code)
        if site is None:
            site = Site(code=declared.code, last_record_seq=0)
            session.add(site)
            existing[declared.code] = site
        site.name = declared.name
        site.country = declared.country
        site.language = declared.language
    session.flush()
    return list(existing.values())


def site_by_code(session: Session, code: str) -> Site:
    site = session.scalar(select(Site).where(Site.code == code))
    if site is None:
        known = ", ".join(session.scalars(select(Site.code).order_by(Site.code))) or "none yet"
        raise NotFound(f"no site with code '{code}' (known sites: {known})")
    return site
