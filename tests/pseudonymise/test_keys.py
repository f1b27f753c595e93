"""The site key: made once, readable by its owner only, never overwritten; pseudonyms are HMAC-SHA256."""

from __future__ import annotations

import hashlib
import hmac
import re
import stat
from pathlib import Path

import pytest

from app.pseudonymise.errors import KeyFileError
from app.pseudonymise.keys import key_file_warning, new_key, pseudonym, read_key


def test_a_new_key_is_32_random_bytes_readable_by_its_owner_only(tmp_path: Path) -> None:
    first, second = tmp_path / "a.key", tmp_path / "b.key"
    new_key(first)
    new_key(second)

    assert re.fullmatch(r"[0-9a-f]{64}\n", first.read_text(encoding="ascii"))
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    assert key_file_warning(first) is None
    assert read_key(first) != read_key(second)


def test_an_existing_key_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "site.key"
    new_key(path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError, match="already exists: a key file is never overwritten"):
        new_key(path)
    assert path.read_bytes() == before


def test_unusable_key_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="no key file at .*--new-key"):
        read_key(tmp_path / "missing.key")
    (tmp_path / "text.key").write_text("my secret password\n", encoding="ascii")
    with pytest.raises(KeyFileError, match="is not a key file: expected 64 hex digits"):
        read_key(tmp_path / "text.key")
    (tmp_path / "short.key").write_text("ab" * 16, encoding="ascii")
    with pytest.raises(KeyFileError, match="too short"):
        read_key(tmp_path / "short.key")


def test_a_key_others_can_read_gets_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "site.key"
    new_key(path)
    path.chmod(0o644)
    assert key_file_warning(path) == f"{path} can be read by other users (mode 644): `chmod 600 {path}`"


def test_a_pseudonym_is_the_hmac_of_the_mrn_and_reveals_nothing_of_it() -> None:
    key = bytes(range(32))
    code = pseudonym(key, " 01234567 ")

    assert code == hmac.new(key, b"01234567", hashlib.sha256).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{64}", code) and "01234567" not in code
    assert pseudonym(key, "01234567") == code, "surrounding spaces do not change the patient"
    assert pseudonym(bytes(32), "01234567") != code, "another key, another pseudonym"
    assert pseudonym(key, "01234568") != code
