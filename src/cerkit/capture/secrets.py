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
from collections.abc import Mapping, Sequence
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
    (?:^|(?<=[^A-Za-z0-9]))(?:                    # "-" and "_" separate: run-ghp_...
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
#: Whole words of a name (``db_pwd``, ``httpAuth``, ``--pass``) whose values are secrets.
#: Matched as words, not substrings: ``author``, ``compass`` and ``bypass`` stay readable.
SECRET_NAME_WORDS: Final[frozenset[str]] = frozenset(
    ("pwd", "pw", "pass", "passphrase", "auth", "oauth", "bearer", "jwt", "creds", "apikey")
)
_NAME_WORD: Final[re.Pattern[str]] = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|[0-9]+")


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """True when a variable or argument called ``name`` must not have its value recorded.

    >>> is_secret_name("SOME_API_KEY"), is_secret_name("OMP_NUM_THREADS")
    (True, False)
    """
    upper = name.upper().replace("-", "_")  # --max-tokens is max_tokens
    if _SECRET_NAME.search(upper) is None:
        return any(word.lower() in SECRET_NAME_WORDS for word in _NAME_WORD.findall(name))
    return _SAFE_NAME.search(upper) is None


def _entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    total = len(text)
    return -sum(n / total * math.log2(n / total) for n in Counter(text).values())


#: ``=`` between an option and its value (``--token=VALUE``), not base64's trailing padding.
_OPTION_VALUE: Final[re.Pattern[str]] = re.compile(r"=+(?=[^=])")
#: A path component people type: words, CamelCase words, numbers, one case throughout.
_WORDLIKE: Final[re.Pattern[str]] = re.compile(r"(?:[A-Z]?[a-z0-9_.\-]+)+|[A-Z0-9_.\-]*")


def _is_path(piece: str) -> bool:
    """A file path rather than a token that happens to hold ``/`` (base64 and AWS secret
    keys do): rooted, or several components that all read like words."""
    if piece.startswith(("/", "~")):
        return True
    parts = piece.split("/")
    return len(parts) > 3 and all(_WORDLIKE.fullmatch(part) for part in parts)


def _secret_run(run: str) -> bool:
    """A run of token characters holds a high-entropy token: the run itself, the value of an
    option (``--token=VALUE``), or one component of a path (``/tmp/<token>/data``)."""
    for piece in _OPTION_VALUE.split(run.lstrip("-")):
        if "/" in piece and _is_path(piece):
            if any(_high_entropy(part) for part in piece.split("/")):
                return True
        elif _high_entropy(piece):
            return True
    return False


def _high_entropy(text: str) -> bool:
    if not _HIGH_ENTROPY_MIN_LENGTH <= len(text) <= _HIGH_ENTROPY_MAX_LENGTH:
        return False
    if _HARMLESS.fullmatch(text):
        return False
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
        return "@" in text and _URL_PASSWORD.search(text) is not None
    if _TOKEN_FORMATS.search(text) or _PEM_PRIVATE.search(text):
        return True
    if _URL_PASSWORD.search(text) or _AUTH_HEADER.search(text):
        return True
    return any(_secret_run(run) for run in _TOKEN_RUN.findall(text))


def scrub_text(text: str) -> str:
    """``text`` with every credential-looking part replaced by :data:`REDACTED`.

    Known formats and URL passwords are cut out in place so the rest stays readable
    (``postgresql://app:[redacted]@db/x``); a string with a high-entropy run is replaced
    whole, because where such a token starts and ends cannot be known for sure.
    """
    if len(text) < _MIN_SECRET_LENGTH:
        return _cut_url_password(text) if "@" in text else text
    text = _TOKEN_FORMATS.sub(REDACTED, text)
    text = _cut_url_password(text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + " " + REDACTED, text)
    if _PEM_PRIVATE.search(text) or any(_secret_run(run) for run in _TOKEN_RUN.findall(text)):
        return REDACTED
    return text


def _cut_url_password(text: str) -> str:
    return _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + m.group(3), text)


_DIGEST: Final[re.Pattern[str]] = re.compile(r"sha256:[0-9a-f]{64}")
# Short strings recur (names, paths, model ids): their verdicts are cached, bounded in size.
_CACHED_LENGTH: Final[int] = 512
_scrub_short = functools.lru_cache(maxsize=4096)(scrub_text)


def _is_digest(value: Any) -> bool:
    return isinstance(value, str) and _DIGEST.fullmatch(value) is not None


def _scrub_key(key: Any) -> Any:
    """A key is data too: a file path holding a token (``execution.files``), a token used
    as a dict key. It is cut like any string; the value under it is scrubbed on its own."""
    if type(key) is not str or (len(key) < _MIN_SECRET_LENGTH and "@" not in key):
        return key
    return _scrub_short(key) if len(key) <= _CACHED_LENGTH else scrub_text(key)


def _scrub_colliding(value: Mapping[Any, Any]) -> dict[Any, Any]:
    """:func:`scrub` of a mapping in which two keys scrub to the same text: numbered, so
    neither value is lost (``[redacted]``, ``[redacted]#2``)."""
    out: dict[Any, Any] = {}
    for key, item in value.items():
        new, number = _scrub_key(key), 1
        while new in out:
            number += 1
            new = f"{_scrub_key(key)}#{number}"
        out[new] = _scrub_item(key, item)
    return out


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
        if len(value) < _MIN_SECRET_LENGTH and "@" not in value:
            return value
        return _scrub_short(value) if len(value) <= _CACHED_LENGTH else scrub_text(value)
    if kind is dict or isinstance(value, Mapping):
        out = {_scrub_key(key): _scrub_item(key, item) for key, item in value.items()}
        return out if len(out) == len(value) else _scrub_colliding(value)
    if kind is list or kind is tuple:
        return [scrub(item) for item in value]
    return value


# -- command lines -------------------------------------------------------------------------

#: Options whose value is ``user:password`` (curl, wget and friends).
_USER_OPTIONS: Final[frozenset[str]] = frozenset(("-u", "--user", "--proxy-user", "-U"))
#: Programs whose ``-pVALUE`` is a password whatever it looks like.
_PASSWORD_P_PROGRAMS: Final[frozenset[str]] = frozenset(
    ("mysql", "mysqldump", "mysqladmin", "mysqlimport", "mysqlcheck", "mysqlsh", "mariadb",
     "mariadb-dump", "sshpass")
)  # fmt: skip
#: ``NAME=VALUE``, ``--name=VALUE``: an environment assignment (``env API_KEY=...``) or an
#: option with its value glued on.
_ASSIGNMENT: Final[re.Pattern[str]] = re.compile(r"(-{0,2}[A-Za-z_][A-Za-z0-9_.\-]*)=(.*)", re.S)
#: ``Name: value``, a header given as an argument (``-H "X-Api-Key: ..."``).
_HEADER: Final[re.Pattern[str]] = re.compile(r"([A-Za-z][A-Za-z0-9_\-]*)(\s*:\s*)(.+)", re.S)


def scrub_argv(argv: Sequence[str]) -> list[str]:
    """A command line with its secrets replaced, readable otherwise.

    Beyond :func:`scrub_text` on every argument: the value of a secret-named option, glued
    (``--api-key=...``) or next (``--password X``), whatever its length; the password of
    ``-u user:pw``; secret-named assignments (``env API_KEY=...``); secret-named headers;
    ``-pPASS`` (always for mysql-like programs and sshpass, else unless the value is a
    port number or a lowercase flag word such as ``-print``).

    >>> scrub_argv(["curl", "-u", "admin:pw", "--token=abc", "--password", "x"])
    ['curl', '-u', 'admin:[redacted]', '--token=[redacted]', '--password', '[redacted]']
    """
    out: list[str] = []
    expect: str | None = None  # what the previous option says this argument is
    password_p = False
    for arg in argv:
        password_p |= arg.rsplit("/", 1)[-1] in _PASSWORD_P_PROGRAMS
        out.append(_scrub_arg(arg, expect, password_p))
        expect = _expected_after(arg)
    return out


def _expected_after(arg: str) -> str | None:
    if arg in _USER_OPTIONS:
        return "user"
    if arg.startswith("-") and "=" not in arg and is_secret_name(arg.lstrip("-")):
        return "secret"
    return None


def _user_password(value: str) -> str:
    user, colon, _ = value.partition(":")
    return f"{user}:{REDACTED}" if colon else scrub_text(value)


def _scrub_arg(arg: str, expect: str | None, password_p: bool) -> str:
    if expect == "secret" and not arg.startswith("-"):
        return REDACTED
    if expect == "user":
        return _user_password(arg)
    assignment = _ASSIGNMENT.fullmatch(arg)
    if assignment is not None:
        name = assignment.group(1)
        if is_secret_name(name.lstrip("-")):
            return f"{name}={REDACTED}"
        if name in _USER_OPTIONS:
            return f"{name}={_user_password(assignment.group(2))}"
    header = _HEADER.fullmatch(arg)
    if header is not None and is_secret_name(header.group(1)):
        return header.group(1) + header.group(2) + REDACTED
    if arg.startswith("-p") and len(arg) > 2 and not arg.startswith("-p-"):
        value = arg[2:]
        if password_p or not (value.isdigit() or (value.isalpha() and value.islower())):
            return "-p" + REDACTED
    if arg.startswith("-u") and ":" in arg and not arg.startswith("--"):
        return "-u" + _user_password(arg[2:])
    return scrub_text(arg)


__all__ = [
    "REDACTED",
    "is_secret_name",
    "looks_like_secret",
    "scrub",
    "scrub_argv",
    "scrub_text",
]
