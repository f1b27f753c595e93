"""Refuse request bodies larger than `Settings.max_request_bytes` with a 413 problem document."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import PayloadTooLarge, domain_error_response


class BodySizeLimitMiddleware:
    """`larger` lets paths under a prefix (bulk uploads) take bodies up to a larger size."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = next(
            (n for prefix, n in self.larger.items() if scope["path"].startswith(prefix)), self.max_bytes
        )
        await self._limited(scope, receive, send, limit)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        if self._declared_length(scope) > limit:
            await self._refuse(scope, receive, send, limit)
            return

        received = 0
        exceeded = False
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    exceeded = True
                    raise PayloadTooLarge(self._detail(limit))
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            # Once the body overflowed, whatever the app makes of the cut-off read is replaced by the 413.
            if exceeded and not response_started:
                return
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not exceeded:
                raise
        if exceeded and not response_started:
            await self._refuse(scope, receive, send, limit)

    def _declared_length(self, scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0

    def _detail(self, limit: int) -> str:
        return f"The request body is larger than the limit of {limit} bytes."

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = domain_error_response(PayloadTooLarge(self._detail(limit)))
        response.headers["connection"] = "close"
        await response(scope, receive, send)
