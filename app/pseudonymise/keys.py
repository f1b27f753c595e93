"""The site's secret key and the pseudonyms made with it.

pseudonym = HMAC-SHA256(key, MRN as UTF-8 text, trimmed), as 64 hex digits. Without the key nobody can
recompute a pseudonym from an MRN; the key never leaves the site, and the same key always gives the
same pseudonym, so later uploads of the same patient update the same record.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import stat
from pathlib import Path

from app.pseudonymise.errors import KeyFileError

KEY_BYTES = 32


def new_key(path: Path) -> None:
    """Write a new random key (hex) readable by its owner only; never overwrite an existing file."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise KeyFileError(
            f"{path} already exists: a key file is never overwritten (the pseudonyms of earlier uploads "
            "depend on it)"
        ) from None
    except OSError as exc:
        raise KeyFileError(f"cannot create {path}: {exc.strerror}") from None
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        os.fchmod(descriptor, 0o600)
        handle.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")


def read_key(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise KeyFileError(
            f"no key file at {path}: make one with `edc pseudonymise --new-key {path}`"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read the key file {path}: {exc}") from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        raise KeyFileError(f"{path} is not a key file: expected {KEY_BYTES * 2} hex digits") from None
    if len(key) < KEY_BYTES:
        raise KeyFileError(f"the key in {path} is too short: at least {KEY_BYTES * 2} hex digits")
    return key


def key_file_warning(path: Path) -> str | None:
    """A warning when others than the owner may read the key file."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        return f"{path} can be read by other users (mode {mode:o}): `chmod 600 {path}`"
    return None


def pseudonym(key: bytes, mrn: str) -> str:
    return hmac.new(key, mrn.strip().encode("utf-8"), hashlib.sha256).hexdigest()
