"""The posted HTML form as a dependency, so that page handlers can stay synchronous (run in a thread)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.datastructures import FormData


async def _posted(request: Request) -> FormData:
    return await request.form()


Posted = Annotated[FormData, Depends(_posted)]


def text_of(form: FormData, name: str) -> str:
    """One posted text value, stripped; empty when absent (uploads are never expected here)."""
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""
