"""Turning a template into a response: the shared page context, cookies, and security headers."""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from app.core.responses import SafeJSONResponse
from app.web.auth import mark_dirty, page_language, secret_key, web_session
from app.web.cookies import COOKIE, LANGUAGE_COOKIE, encode
from app.web.i18n import LANGUAGE_NAMES, LANGUAGES, Translator

STATIC_DIR = Path(__file__).parent / "static"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    # Pages show patient data: never keep them in a shared cache or the browser's back-forward store.
    "Cache-Control": "no-store",
}

_env = Environment(
    loader=PackageLoader("app.web", "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=StrictUndefined,
)


@cache
def static_url(name: str) -> str:
    """The file's URL with a fingerprint of its content, so a new release is never served stale."""
    digest = hashlib.sha256((STATIC_DIR / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


def show_time(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M} UTC"


_env.globals.update(static=static_url)
_env.filters["when"] = show_time


def url_with(request: Request, **params: Any) -> str:
    """The current page's URL with some query parameters replaced (None drops one)."""
    query = dict(request.query_params)
    query.update({k: str(v) for k, v in params.items() if v is not None})
    for key in [k for k, v in params.items() if v is None]:
        query.pop(key, None)
    return f"{request.url.path}?{urlencode(query)}" if query else request.url.path


def finish(request: Request, response: Response) -> Response:
    """Write back a changed session or language cookie and add the security headers."""
    settings = request.app.state.settings
    secure = settings.env == "production"
    if getattr(request.state, "session_dirty", False):
        value = encode(web_session(request), secret_key(request))
        response.set_cookie(COOKIE, value, httponly=True, samesite="lax", secure=secure, path="/")
    language = getattr(request.state, "new_language", None)
    if language:
        year = 365 * 24 * 3600
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=year, httponly=True, samesite="lax", secure=secure, path="/"
        )
    for name, value in SECURITY_HEADERS.items():  # a report's own stricter policy stands
        response.headers.setdefault(name, value)
    return response


def take_flash(request: Request) -> dict[str, Any] | None:
    session = web_session(request)
    flash = session.flash
    if flash is not None:
        session.flash = None
        mark_dirty(request)
    return flash


def set_flash(request: Request, key: str, kind: str = "ok", **params: Any) -> None:
    web_session(request).flash = {"key": key, "kind": kind, "params": params}
    mark_dirty(request)


def page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    language = page_language(request)
    t = Translator(language)
    flash = take_flash(request)
    base = {
        "t": t,
        "lang": language,
        "languages": [(code, LANGUAGE_NAMES[code], url_with(request, lang=code)) for code in LANGUAGES],
        "actor": getattr(request.state, "actor", None),
        "csrf": web_session(request).csrf,
        "flash": None
        if flash is None
        else {"key": flash["key"], "kind": flash["kind"], "text": t(flash["key"], **flash["params"])},
        "study_title": _study_title(request, t),
        "path": request.url.path,
    }
    html = _env.get_template(template).render({**base, **context})
    return finish(request, HTMLResponse(html, status_code=status))


def _study_title(request: Request, t: Translator) -> str:
    study = getattr(request.app.state, "study", None)
    return t.label(study.spec.title) if study is not None else ""


def redirect(request: Request, url: str) -> Response:
    return finish(request, RedirectResponse(url, status_code=303))


def json_response(request: Request, data: Any, status: int = 200) -> Response:
    return finish(request, SafeJSONResponse(data, status_code=status))
