"""Readers of the stable parts of the runtime fingerprint (DESIGN §4).

Each ``read_*`` returns one part as a dict whose ``source`` says how it was obtained. A
reader may raise; :func:`cerkit.capture.fingerprint.stable_parts` turns the exception into
``{"source": ..., "unknown": "<reason>"}`` so a part that could not be read is never
silently equal to another.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
import time
from typing import Any, Final

from cerkit.digest import sha256_hex

# ISA extensions that change numeric results or kernel choice (SIMD width, FMA, matrix
# units); the full /proc/cpuinfo flag list is mostly irrelevant to drift and very long.
_ISA: Final[re.Pattern[str]] = re.compile(
    r"sse\d\w*|ssse3|avx\w*|fma4?|f16c|amx\w*|bmi\d|popcnt|aes|sha_ni|vnni|"
    r"neon|asimd\w*|sve\w*|fphp|bf16|i8mm|vsx|altivec"
)
_SUBPROCESS_TIMEOUT: Final[float] = 5.0


def _unknown(reason: str) -> dict[str, str]:
    return {"unknown": reason}


def _run(argv: list[str], cwd: str | None = None) -> bytes:
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, timeout=_SUBPROCESS_TIMEOUT, check=True
    )
    return done.stdout


def read_python() -> dict[str, Any]:
    return {
        "source": "sys, platform",
        "implementation": platform.python_implementation(),
        "version": platform.python_version(),
        "build": list(platform.python_build()),
        "compiler": platform.python_compiler(),
        "executable": sys.executable,
        "flags": interpreter_flags(),
        "xoptions": {
            str(k): v if isinstance(v, str) else bool(v) for k, v in sorted(sys._xoptions.items())
        },
    }


def interpreter_flags() -> dict[str, int | bool]:
    """``sys.flags`` by name (``optimize`` is ``python -O``, ``utf8_mode`` is ``-X utf8``...)."""
    flags = sys.flags
    return {name: getattr(flags, name) for name in dir(flags) if _is_flag(flags, name)}


def _is_flag(flags: Any, name: str) -> bool:
    return not name.startswith(("_", "n_")) and isinstance(getattr(flags, name), int)


def _libc() -> Any:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION") or _unknown("confstr returned nothing")
    except (ValueError, OSError, AttributeError):
        name, version = platform.libc_ver()
        return f"{name} {version}".strip() or _unknown("not glibc; libc version not readable")


def _container() -> str:
    if os.path.exists("/.dockerenv"):
        return "docker"
    if os.path.exists("/run/.containerenv"):
        return "podman"
    if "KUBERNETES_SERVICE_HOST" in os.environ:
        return "kubernetes"
    try:
        with open("/proc/1/cgroup", encoding="utf-8") as handle:
            cgroup = handle.read()
    except OSError:
        return "none detected"
    for hint in ("docker", "kubepods", "containerd", "lxc"):
        if hint in cgroup:
            return hint
    return "none detected"


def read_os() -> dict[str, Any]:
    return {
        "source": "platform.uname, os.confstr, /.dockerenv and /proc/1/cgroup",
        "system": platform.system(),
        "release": platform.release(),
        "kernel": platform.version(),
        "machine": platform.machine(),
        "libc": _libc(),
        "container": _container(),
    }


def _timezone() -> str:
    if os.environ.get("TZ"):
        return os.environ["TZ"]
    try:
        target = os.readlink("/etc/localtime")
        return target.split("zoneinfo/", 1)[-1]
    except OSError:
        return "/".join(time.tzname)


_LOCALE_CATEGORIES: Final[tuple[str, ...]] = (
    "LC_CTYPE", "LC_COLLATE", "LC_NUMERIC", "LC_TIME", "LC_MONETARY", "LC_MESSAGES",
)  # fmt: skip


def locale_state() -> tuple[str, ...]:
    """The process's locale as the C library holds it, and the time zone: a cheap key.

    ``setlocale(LC_ALL, None)`` queries without changing anything (one call: every category
    in one string when they differ). ``locale.getlocale`` is not used: it maps names through
    an alias table, so ``C.UTF-8`` reads as ``en_US``.
    """
    import locale

    return (locale.setlocale(locale.LC_ALL, None), os.environ.get("TZ", ""), *time.tzname)


def read_locale(state: tuple[str, ...] | None = None) -> dict[str, Any]:
    import locale

    state = state or locale_state()
    categories = {
        name: locale.setlocale(getattr(locale, name), None)
        for name in _LOCALE_CATEGORIES
        if hasattr(locale, name)
    }
    return {
        "source": "locale.setlocale(category, None), nl_langinfo, TZ or /etc/localtime",
        "locale": categories.get("LC_CTYPE", "C"),
        "categories": categories,
        "encoding": locale.getpreferredencoding(False),
        "filesystemEncoding": sys.getfilesystemencoding(),
        "timezone": _timezone(),
    }


def _cpuinfo() -> tuple[Any, list[str]]:
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
        text = handle.read()
    model = re.search(r"^(?:model name|Model|cpu model)\s*:\s*(.+)$", text, re.MULTILINE)
    flags = re.search(r"^(?:flags|Features)\s*:\s*(.+)$", text, re.MULTILINE)
    isa = sorted({f for f in (flags.group(1).split() if flags else []) if _ISA.fullmatch(f)})
    return (model.group(1).strip() if model else _unknown("no model name in /proc/cpuinfo")), isa


def read_hardware() -> dict[str, Any]:
    part: dict[str, Any] = {"source": "/proc/cpuinfo, os.cpu_count, os.sysconf"}
    if os.path.exists("/proc/cpuinfo"):
        part["cpuModel"], part["isaFlags"] = _cpuinfo()
    elif sys.platform == "darwin":
        part["source"] = "sysctl, os.cpu_count, os.sysconf"
        part["cpuModel"] = _run(["sysctl", "-n", "machdep.cpu.brand_string"]).decode().strip()
        part["isaFlags"] = _unknown("ISA flags are not read on macOS")
    else:
        part["cpuModel"] = platform.processor() or _unknown("no /proc/cpuinfo")
        part["isaFlags"] = _unknown("no /proc/cpuinfo")
    part["cores"] = os.cpu_count()
    if hasattr(os, "sched_getaffinity"):
        part["usableCores"] = len(os.sched_getaffinity(0))
    try:
        part["memoryBytes"] = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        part["memoryBytes"] = _unknown("os.sysconf has no SC_PHYS_PAGES here")
    return part


def read_gpus() -> dict[str, Any]:
    if "torch" in sys.modules and sys.modules["torch"].cuda.is_available():
        return _gpus_from_torch()
    if shutil.which("nvidia-smi"):
        query = "--query-gpu=name,driver_version,compute_cap"
        rows = _run(["nvidia-smi", query, "--format=csv,noheader"]).decode().strip()
        devices = []
        for row in filter(None, rows.splitlines()):
            name, driver, capability = (c.strip() for c in row.split(","))
            devices.append(
                {
                    "name": name,
                    "driver": driver,
                    "cuda": _unknown("not read by nvidia-smi"),
                    "computeCapability": capability,
                }
            )
        return {"source": "nvidia-smi", "devices": devices}
    if os.path.exists("/proc/driver/nvidia/version"):
        return {
            "source": "/proc/driver/nvidia",
            "unknown": "NVIDIA driver present but nvidia-smi missing",
        }
    return {
        "source": "no /proc/driver/nvidia, no nvidia-smi on PATH, torch CUDA not in use",
        "devices": [],
    }


def _gpus_from_torch() -> dict[str, Any]:
    torch = sys.modules["torch"]
    driver: Any = _unknown("/proc/driver/nvidia/version not readable")
    try:
        with open("/proc/driver/nvidia/version", encoding="utf-8") as handle:
            match = re.search(r"Kernel Module\s+(\S+)", handle.read())
            driver = match.group(1) if match else driver
    except OSError:
        pass
    devices = []
    for index in range(torch.cuda.device_count()):
        props = torch.cuda.get_device_properties(index)
        devices.append(
            {
                "name": props.name,
                "driver": driver,
                "cuda": torch.version.cuda,
                "computeCapability": f"{props.major}.{props.minor}",
            }
        )
    return {"source": "torch.cuda, /proc/driver/nvidia/version", "devices": devices}


def read_packages() -> dict[str, Any]:
    """Every installed distribution; one whose metadata cannot be read is
    ``{"unknown": reason}`` (:mod:`cerkit.capture._distributions`)."""
    from cerkit.capture import _usage
    from cerkit.digest import hash_canonical

    installed = _usage.index().installed()
    return {
        "source": "importlib.metadata.distributions",
        "installed": installed,
        "count": len(installed),
        "digest": hash_canonical(installed),
    }


def read_git(cwd: str) -> dict[str, Any]:
    source = f"git in {cwd}"
    if not shutil.which("git"):
        return {"source": source, "unknown": "git is not installed"}
    top = git_toplevel(cwd)
    if top is None:  # a fact that compares: two runs outside any repository are equal
        return {"source": source, "repository": False}
    try:
        commit = _run(["git", "rev-parse", "HEAD"], top).decode().strip()
    except subprocess.CalledProcessError:
        return {"source": source, "repository": True, "commit": None}
    branch = _run(["git", "rev-parse", "--abbrev-ref", "HEAD"], top).decode().strip()
    status = _run(["git", "status", "--porcelain", "--untracked-files=no"], top)
    diff = _run(["git", "diff", "HEAD", "--no-color", "--no-ext-diff"], top)
    return {
        "source": "git rev-parse, git status --porcelain, git diff HEAD",
        "repository": True,
        "commit": commit,
        "branch": branch,
        "dirty": bool(status.strip()),
        "diffDigest": sha256_hex(diff) if diff else None,
        "diffDigests": diff_digests(diff),
    }


def git_toplevel(cwd: str) -> str | None:
    """The repository's top folder, or ``None`` outside a repository (or without git)."""
    if not shutil.which("git"):
        return None
    try:
        return _run(["git", "rev-parse", "--show-toplevel"], cwd).decode().strip()
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        return None


_DIFF_HEADER: Final[re.Pattern[bytes]] = re.compile(rb"^diff --git a/(.+?) b/(.+)$", re.MULTILINE)


def diff_digests(diff: bytes) -> dict[str, str]:
    """``git diff`` cut per file: ``{path relative to the top: sha256 of its hunk}``."""
    digests: dict[str, str] = {}
    headers = list(_DIFF_HEADER.finditer(diff))
    for index, header in enumerate(headers):
        end = headers[index + 1].start() if index + 1 < len(headers) else len(diff)
        path = header.group(2).decode("utf-8", "replace")
        digests[path] = sha256_hex(diff[header.start() : end])
    return dict(sorted(digests.items()))
