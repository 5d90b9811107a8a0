"""Read settings from the environment, and keep local secrets out of git.

Development secrets live in ``var/`` (ignored by git) and are written on
first use, so a fresh clone runs without any setup; production reads every
secret from the environment and refuses to start without it.
"""

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """Return the variable's value, or the default when it is unset."""
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """Return the variable as a boolean; anything unrecognised is an error."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    """Return the variable as an integer, naming it when it is not one."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, not {raw!r}.")


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    """Return a comma-separated variable as a list of non-empty items."""
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


PARSERS = {
    bool: lambda name, default: env_bool(name, default),
    int: lambda name, default: env_int(name, default),
    str: lambda name, default: env_str(name, default) or None,
}


def env_overrides(prefix: str, types: dict[str, type]) -> dict:
    """Return ``{KEY: value}`` for each ``PREFIX + KEY`` the environment sets.

    Keys left unset, or set to an empty string, are left out, so the
    defaults stay in one place (the settings object that reads this dict).
    """
    return {
        key: PARSERS[kind](prefix + key, None)
        for key, kind in types.items()
        if os.environ.get(prefix + key, "").strip()
    }


def env_file_or_str(name: str) -> str:
    """Return ``NAME``, or the contents of the file ``NAME_FILE`` names."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        return Path(path).read_text()
    return os.environ.get(name, "")


def env_files_or_strs(name: str) -> list[str]:
    """Return the secrets or keys of ``NAME_FILES`` (comma-separated paths),
    else of ``NAME`` (several separated by a line holding only ``---``)."""
    paths = env_list(f"{name}_FILES")
    if paths:
        return [Path(path).read_text() for path in paths]
    raw = os.environ.get(name, "")
    return [part.strip() for part in raw.split("\n---\n") if part.strip()]


def local_secret(name: str, var_dir: Path, allow_create: bool) -> str:
    """Return the secret from the environment, else from ``var_dir/name``.

    Only development (``allow_create``) falls back to the file, creating it
    with random bits when missing; elsewhere the environment must have it.
    """
    value = os.environ.get(name)
    if value:
        return value
    if not allow_create:
        # Never a file left over from development: production secrets come
        # from the environment, where the deployment put them on purpose.
        raise ImproperlyConfigured(
            f"{name} must be set in the environment outside development."
        )
    path = var_dir / name.lower()
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process wrote it first
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value
