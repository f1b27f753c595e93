from argon2 import PasswordHasher

from app.auth import passwords


def test_a_hash_verifies_its_password_only() -> None:
    hashed = passwords.hash_password("correct horse battery")

    assert hashed.startswith("$argon2id$")
    assert "correct horse battery" not in hashed
    assert passwords.verify_password(hashed, "correct horse battery")
    assert not passwords.verify_password(hashed, "Correct horse battery")


def test_a_missing_or_garbled_hash_never_verifies() -> None:
    assert not passwords.verify_password(None, "anything at all")
    assert not passwords.verify_password("not-a-hash", "anything at all")


def test_only_hashes_made_with_weaker_parameters_need_rehashing() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse battery")

    assert passwords.needs_rehash(weak)
    assert not passwords.needs_rehash(passwords.hash_password("correct horse battery"))


def test_generated_passwords_pass_the_policy_and_differ() -> None:
    first, second = passwords.generate_password(), passwords.generate_password()

    passwords.check_policy(first)
    assert first != second
