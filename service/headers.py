"""The security headers every answer carries, and the one place the CSP is written."""

from __future__ import annotations

__all__ = ["CSP", "SECURITY_HEADERS"]

#: Scripts, styles, images and requests only from the service itself (inline styles
#: allowed; an inline script only where a page names its hash, as ``/docs`` does).
CSP = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
}
