"""The web client: the built bundle served at `/`, `index.html` for its routes.

`make run` builds `frontend/dist`; `WEB_DIST` points elsewhere. The API's own
paths (`/graphql`, `/healthz`, ...) are routed before this mount is reached.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

logger = logging.getLogger(__name__)

ASSETS = "assets"
# Vite names every file under assets/ by its content hash: cache it for good.
IMMUTABLE = "public, max-age=31536000, immutable"
# The page itself is checked on every load, so a deploy takes effect at once.
REVALIDATE = "no-cache"
# Everything the client loads comes from this origin, the API's WebSocket included.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
NOT_BUILT = (
    "The Sentichat web client is not built. Run `make run` (it builds it), or "
    "`make web`, or set WEB_DIST to a built bundle. The API is at /graphql."
)


def is_client_route(path: str) -> bool:
    """Whether a missing `path` is one of the client's routes (not a file).

    A missing asset, or any path naming a file, stays a 404: a stale page asking
    for an old chunk must fail, not be handed HTML in place of JavaScript.
    """
    parts = PurePosixPath(path).parts
    if not parts or parts == (".",):
        return True
    return parts[0] != ASSETS and "." not in parts[-1]


class WebClient(StaticFiles):
    """The bundle's files, with `index.html` for client routes and fitting headers."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        try:
            response = await super().get_response(path, scope)
            served = path
        except HTTPException as exc:
            if exc.status_code != 404 or not is_client_route(path):
                raise
            response = await super().get_response("index.html", scope)
            served = "index.html"
        headers = response.headers
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        if PurePosixPath(served).parts[:1] == (ASSETS,):
            headers["Cache-Control"] = IMMUTABLE
        else:
            headers["Cache-Control"] = REVALIDATE
        if served.endswith(".html"):
            headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
            headers["X-Frame-Options"] = "DENY"
        return response


def mount_web_client(app: FastAPI, dist: Path) -> None:
    """Serve the bundle in `dist` at `/`; without one, say how to build it."""
    if (dist / "index.html").is_file():
        app.mount("/", WebClient(directory=dist), name="web")
        return
    logger.warning("No web client at %s: `make web` builds it. API only.", dist)

    async def not_built() -> PlainTextResponse:
        return PlainTextResponse(NOT_BUILT, status_code=404)

    app.add_api_route("/", not_built, methods=["GET", "HEAD"], include_in_schema=False)
