"""The acting user as every service sees it, whatever the entry path (web, API, upload, CLI)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Role(StrEnum):
    site_entry = "site_entry"
    site_manager = "site_manager"
    monitor = "monitor"
    coordinator = "coordinator"
    admin = "admin"


SITE_ROLES = frozenset({Role.site_entry, Role.site_manager})


@dataclass(frozen=True)
class Actor:
    """Who is acting, with which role and site, and from where (web, api, upload:<batch>, cli)."""

    user_id: int | None
    email: str
    role: str
    site_id: int | None
    site_code: str | None
    source: str = "api"
    language: str = "en"

    @property
    def is_site_bound(self) -> bool:
        """Site roles see and change only their own site's patients."""
        return self.role in SITE_ROLES

    def via(self, source: str) -> Actor:
        return replace(self, source=source)


SYSTEM = Actor(None, "system", "system", None, None, "cli")
