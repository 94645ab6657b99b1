"""The security headers on every response, pages and API alike, and `Secure` cookies.

Every page and almost every API answer holds names or whereabouts, so all of them
are `no-store` (a shared phone's or a proxy's cache must not keep them) and carry
the same strict Content-Security-Policy: nothing is fetched from elsewhere and
injected markup cannot run. One table, applied by one middleware, so a new route
cannot forget them; a response that needs another policy (the API documentation)
sets its own header, which is kept.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; "
                               "script-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}


class SecurityHeaders:
    """Add HEADERS to every HTTP response that does not set its own, and mark every
    cookie `Secure` as `secure_cookies` (`config.secure_cookies`) says."""

    def __init__(self, app: ASGIApp, secure_cookies: str) -> None:
        self.app, self.secure_cookies = app, secure_cookies

    def _secure(self, scope: Scope) -> bool:
        if self.secure_cookies == "auto":
            return scope.get("scheme") == "https"
        return self.secure_cookies == "on"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = self._secure(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    if name not in headers:
                        headers[name] = value
                if secure:
                    message["headers"] = [
                        (key, value + b"; Secure")
                        if key == b"set-cookie" and b"; secure" not in value.lower()
                        else (key, value) for key, value in message["headers"]]
            await send(message)

        await self.app(scope, receive, send_with_headers)
