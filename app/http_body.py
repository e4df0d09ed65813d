"""Reading an HTTP request body with a size cap, shared by the API (JSON) and the login pages (forms).

One reader so both refuse the same way: on the declared Content-Length before anything is read, and as soon
as more arrives than allowed (a chunked body declares no length). A Content-Length that is no number is
taken as none, never parsed into a crash.
"""

from __future__ import annotations

from starlette.requests import Request


def declared_over(request: Request, limit: int) -> bool:
    """Whether the request says it carries more than `limit` bytes (refused before reading anything)."""
    declared = request.headers.get("content-length", "").strip()
    return declared.isdigit() and int(declared) > limit


async def read_capped(request: Request, limit: int) -> bytes | None:
    """The body, or None when it is (or says it is) longer than `limit` bytes; the rest is then not read."""
    if declared_over(request, limit):
        return None
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > limit:
            return None
    return bytes(body)
