"""``/docs``: Swagger UI from files installed with the service, never from a CDN.

The assets are swagger-ui-dist's, as the ``fastapi-offline`` package ships them, so the
page works on an intranet that blocks CDNs. The page's one inline script (Swagger UI's
start-up, written by FastAPI) is allowed by its hash; every other script must come from
the service itself, as the CSP says everywhere else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from importlib.resources import files

import fastapi_offline
from fastapi import APIRouter
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from service.headers import CSP

__all__ = ["ASSETS_URL", "assets", "router"]

ASSETS_URL = "/docs-assets"
router = APIRouter(include_in_schema=False)


def assets() -> StaticFiles:
    """Swagger UI's script, style sheet and icon, from the installed package."""
    return StaticFiles(directory=str(files(fastapi_offline) / "static"))


def _page() -> tuple[bytes, str]:
    """The page, and its CSP: the service's, with the page's inline script's hash."""
    page = get_swagger_ui_html(
        openapi_url="/openapi.json",
        title="风险分级 API / Risk triage API",
        swagger_js_url=f"{ASSETS_URL}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS_URL}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS_URL}/favicon.png",
        oauth2_redirect_url=None,
    ).body
    inline = re.findall(rb"<script>(.*?)</script>", bytes(page), re.DOTALL)
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(s).digest()).decode()}'" for s in inline
    )
    return bytes(page), f"{CSP}; script-src 'self' {hashes}"


_PAGE, _CSP = _page()


@router.get("/docs", response_class=HTMLResponse)
def docs() -> HTMLResponse:
    """Swagger UI for this service's OpenAPI schema."""
    return HTMLResponse(_PAGE, headers={"Content-Security-Policy": _CSP})
