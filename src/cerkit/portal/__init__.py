"""The verify portal (docs/portal.md): server-rendered pages over the library's verifier.

:func:`cerkit.portal.app.create_portal` builds the ASGI app ``cerkit ui`` serves on loopback.
Every value shown comes from a record an attacker may have written: Jinja2 escapes all of
it, and every answer carries a strict Content-Security-Policy (no inline script or style).
"""
