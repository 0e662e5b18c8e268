"""The portal's one template environment: Jinja2 with autoescape on for every template.

Every page module renders through :func:`page`, so no page can opt out of escaping.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from cerkit.portal.source import is_certificate_hash

_HERE: Final[Path] = Path(__file__).parent

env: Final[Environment] = Environment(
    loader=FileSystemLoader(_HERE / "templates"), autoescape=select_autoescape(default=True)
)
#: ``{% if value is certificate_hash %}``: the one test a value passes before it becomes a link.
env.tests["certificate_hash"] = is_certificate_hash


def page(name: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    """The template ``name`` rendered with ``values`` (all of them escaped on output)."""
    return HTMLResponse(env.get_template(name).render(**values), status_code=status_code)
