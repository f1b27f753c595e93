"""JSON responses that cannot fail to encode.

JSON allows a lone surrogate as an escape (`"\\ud800"`), so bad input can carry one; echoed back in an
error's detail, or stored in a free-text field and read again, it cannot be written as UTF-8 and the
response would fail after the work was done. Such a body is written with ASCII escapes instead.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import JSONResponse


class SafeJSONResponse(JSONResponse):
    def render(self, content: Any) -> bytes:
        try:
            return super().render(content)
        except UnicodeEncodeError:
            return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode(
                "ascii"
            )
