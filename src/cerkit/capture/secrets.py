"""Secret filtering: nothing that looks like a credential is ever written into a record.

Two tests, applied to everything capture records that came from the user or the
environment (call inputs and outputs, parameters, environment variables, command lines):

* a **name** test: a key, keyword argument or variable whose name contains ``KEY``,
  ``TOKEN``, ``SECRET``, ``PASSWORD``, ``PASSWD``, ``CREDENTIAL``, ``AUTH`` or ``PRIVATE``
  (any case) has its value replaced by :data:`REDACTED`;
* a **value** test: a string that looks like a credential is replaced wherever it appears:
  known token formats (``sk-...``, ``ghp_...``, ``github_pat_...``, ``xox?-...``,
  ``AKIA...``, ``AIza...``, ``hf_...``, ``glpat-...``, JWTs, PEM private keys), passwords in
  URLs (``scheme://user:PASSWORD@host``), ``Bearer``/``Basic`` authorization values, and
  long high-entropy strings (see :func:`looks_like_secret`).

The replacement carries no digest of the secret on purpose: a digest of a short secret can
be brute-forced, and a record is meant to be shared. See docs/capture.md, "Secret policy".
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any, Final

#: What a redacted value is replaced with.
REDACTED: Final[str] = "[redacted]"

#: Substrings of names whose values are never recorded (compared case-insensitively).
SECRET_NAME_PARTS: Final[tuple[str, ...]] = (
    "KEY",
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "CREDENTIAL",
    "AUTHORIZATION",
    "COOKIE",
)
#: Names that contain a secret-looking part but are well-known harmless settings: token
#: counts and tokenizers (``maxTokens``, ``TOKENIZERS_PARALLELISM``), the token-count
#: breakdowns providers return (``usage.prompt_tokens_details``), keyboard, sort keys.
_SAFE_NAME: Final[re.Pattern[str]] = re.compile(
    r"TOKENIZ|(?:MAX|MIN|NUM|N)_?(?:NEW_|OUTPUT_|COMPLETION_)?TOKENS|TOKENS_?DETAILS"
    r"|KEYBOARD|KEYWORD|SORT_?KEYS|MONKEY"
)

# Strings shorter than this are never tested by value: no credential format is this short,
# and skipping them keeps recording small values cheap.
_MIN_SECRET_LENGTH: Final[int] = 16
# A high-entropy candidate: one run of token characters, nothing else.
_HIGH_ENTROPY_MIN_LENGTH: Final[int] = 24
# Longer runs are data (base64 images, serialized blobs), not credentials: API keys and
# tokens stay well below this; longer formats (JWTs, PEM keys) have their own patterns.
_HIGH_ENTROPY_MAX_LENGTH: Final[int] = 256
_HIGH_ENTROPY_BITS: Final[float] = 4.0

_TOKEN_FORMATS: Final[re.Pattern[str]] = re.compile(
    r"""
    (?:^|(?<=[^A-Za-z0-9_\-]))(?:
        sk-[A-Za-z0-9_\-]{16,}                       # OpenAI, Anthropic (sk-ant-...)
      | gh[pousr]_[A-Za-z0-9]{20,}                   # GitHub tokens
      | github_pat_[A-Za-z0-9_]{20,}
      | xox[abprs]-[A-Za-z0-9\-]{10,}                # Slack
      | (?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{16}     # AWS access key ids
      | AIza[A-Za-z0-9_\-]{30,}                      # Google API keys
      | hf_[A-Za-z0-9]{20,}                          # Hugging Face
      | glpat-[A-Za-z0-9_\-]{20,}                    # GitLab
      | (?:npm|pypi)[-_][A-Za-z0-9_\-]{20,}          # package registry tokens
      | eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*  # JWT
    )
    """,
    re.VERBOSE,
)
_PEM_PRIVATE: Final[re.Pattern[str]] = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")
_URL_PASSWORD: Final[re.Pattern[str]] = re.compile(
    r"([a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:)([^@\s/]+)(@)"
)
_AUTH_HEADER: Final[re.Pattern[str]] = re.compile(
    r"\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=\-]{8,}"
)
_TOKEN_RUN: Final[re.Pattern[str]] = re.compile(r"[A-Za-z0-9+/=_\-]+")
# Values that are high-entropy by nature and not secrets: our own digests, UUIDs, hex ids,
# and the object ids LLM providers return (request ids ``req_011C...``, messages, tool calls,
# responses), which are facts about a call that support needs, not credentials.
_HARMLESS: Final[re.Pattern[str]] = re.compile(
    r"(?:sha(?:1|256|384|512)|md5|blake2b?):[0-9a-f]+"
    r"|(?:req|msg|toolu|srvtoolu|call|resp|fc|rs|msgbatch)_[A-Za-z0-9]{8,64}|chatcmpl-[A-Za-z0-9]+"
    r"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|[0-9a-fA-F]+"
)


_SECRET_NAME: Final[re.Pattern[str]] = re.compile("|".join(SECRET_NAME_PARTS))


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True when a variable or argument called ``name`` must not have its value recorded.

    >>> is_secret_name("SOME_API_KEY"), is_secret_name("OMP_NUM_THREADS")
    (True, False)
    """
    upper = name.upper()
    if _SECRET_NAME.search(upper) is None:
        return False
    return _SAFE_NAME.search(upper) is None


def _entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


def _high_entropy(text: str) -> bool:
    if not _HIGH_ENTROPY_MIN_LENGTH <= len(text) <= _HIGH_ENTROPY_MAX_LENGTH:
        return False
    if _HARMLESS.fullmatch(text):
        return False
    if text.startswith(("/", ".", "-")) or text.count("/") > 2:
        return False  # file paths and command-line options, not tokens
    classes = (
        any(c.islower() for c in text)
        + any(c.isupper() for c in text)
        + any(c.isdigit() for c in text)
    )
    return classes >= 3 and _entropy(text) >= _HIGH_ENTROPY_BITS


def looks_like_secret(text: str) -> bool:
    """True when ``text`` contains something that looks like a credential.

    >>> looks_like_secret("sk-proj-" + "a1B2" * 10), looks_like_secret("/usr/lib/python3.11")
    (True, False)
    """
    if len(text) < _MIN_SECRET_LENGTH:
        return False
    if _TOKEN_FORMATS.search(text) or _PEM_PRIVATE.search(text):
        return True
    if _URL_PASSWORD.search(text) or _AUTH_HEADER.search(text):
        return True
    return any(_high_entropy(run) for run in _TOKEN_RUN.findall(text))


def scrub_text(text: str) -> str:
    """``text`` with every credential-looking part replaced by :data:`REDACTED`.

    Known formats and URL passwords are cut out in place so the rest stays readable
    (``postgresql://app:[redacted]@db/x``); a string with a high-entropy run is replaced
    whole, because where such a token starts and ends cannot be known for sure.
    """
    if len(text) < _MIN_SECRET_LENGTH:
        return text
    text = _TOKEN_FORMATS.sub(REDACTED, text)
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + " " + REDACTED, text)
    if _PEM_PRIVATE.search(text) or any(_high_entropy(run) for run in _TOKEN_RUN.findall(text)):
        return REDACTED
    return text


_DIGEST: Final[re.Pattern[str]] = re.compile(r"sha256:[0-9a-f]{64}")
# Short strings recur (names, paths, model ids): their verdicts are cached, bounded in size.
_CACHED_LENGTH: Final[int] = 512
_scrub_short = functools.lru_cache(maxsize=4096)(scrub_text)


def _is_digest(value: Any) -> bool:
    return isinstance(value, str) and _DIGEST.fullmatch(value) is not None


def _scrub_item(key: Any, item: Any) -> Any:
    # Under a secret name, strings and containers go; numbers, booleans and null stay
    # (a token count or a flag called ``use_auth_token=True`` is not a secret).
    if isinstance(key, str) and is_secret_name(key):
        if item is None or isinstance(item, bool | int | float) or _is_digest(item):
            return item  # a flag, a count or a file digest under a key-like name
        return REDACTED
    return scrub(item)


def scrub(value: Any) -> Any:
    """A copy of a JSON value with secrets removed: values under secret-looking keys and
    credential-looking strings anywhere. Values without secrets come back unchanged."""
    kind = type(value)
    if kind is str:
        if len(value) < _MIN_SECRET_LENGTH:
            return value
        return _scrub_short(value) if len(value) <= _CACHED_LENGTH else scrub_text(value)
    if kind is dict or isinstance(value, Mapping):
        return {key: _scrub_item(key, item) for key, item in value.items()}
    if kind is list or kind is tuple:
        return [scrub(item) for item in value]
    return value


__all__ = ["REDACTED", "is_secret_name", "looks_like_secret", "scrub", "scrub_text"]
