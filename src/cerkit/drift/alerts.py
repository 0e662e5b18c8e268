"""Where a canary's findings go: a webhook and an OpenMetrics text file (the I/O edge of
:mod:`cerkit.drift.canary`).

:func:`post_alerts` POSTs each alert as one JSON document with ``httpx`` (the node extra's
HTTP client); :func:`write_metrics` replaces the metrics file atomically, so a scraper (the
node-exporter textfile collector) never reads half of it. Messages name the webhook's host,
never its full URL: hook URLs often carry their secret in the path or query.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

from cerkit.atomic import write_atomic
from cerkit.errors import OperationalError, Reason, UsageError

#: Seconds an alert POST may take (connect, send and answer) before it counts as failed.
WEBHOOK_TIMEOUT: Final[float] = 10.0


def webhook_host(url: str) -> str:
    """``scheme://host[:port]`` of a webhook URL (what messages may show of it).

    Raises:
        UsageError: not an http(s) URL with a host.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--webhook wants an http(s) URL with a host, not {parts.scheme or url!r}")
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}"


def post_alerts(
    url: str, alerts: Sequence[Mapping[str, Any]], *, timeout: float = WEBHOOK_TIMEOUT
) -> int:
    """POST each alert to ``url`` as ``application/json``; every alert is tried.

    Returns:
        How many alerts were delivered (answered with a 2xx status).

    Raises:
        UsageError: ``url`` is not an http(s) URL.
        OperationalError: (``NETWORK_ERROR``) some alert was not delivered; the message says
            how many and the first failure.
    """
    host = webhook_host(url)
    if not alerts:
        return 0
    import httpx  # the node extra; ``cerkit canary`` names it when missing (MISSING_EXTRA)

    failures = []
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        for alert in alerts:
            try:
                answer = client.post(url, json=dict(alert))
            except httpx.HTTPError as exc:
                failures.append(f"{type(exc).__name__}: {_without_url(str(exc), url)}")
                continue
            if not answer.is_success:
                failures.append(f"HTTP {answer.status_code}")
    if failures:
        raise OperationalError(
            f"webhook {host}: {len(failures)} of {len(alerts)} alert(s) not delivered "
            f"({failures[0]})",
            Reason.NETWORK_ERROR,
        )
    return len(alerts)


def _without_url(text: str, url: str) -> str:
    return text.replace(url, "<webhook>") or "no answer"


def write_metrics(path: str | os.PathLike[str], text: str) -> None:
    """Replace the metrics file with ``text`` in one step.

    Raises:
        OperationalError: the file cannot be written (the old one is left as it was).
    """
    write_atomic(path, text)


__all__ = ["WEBHOOK_TIMEOUT", "post_alerts", "webhook_host", "write_metrics"]
