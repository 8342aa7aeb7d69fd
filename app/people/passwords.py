"""Password hashing (argon2id), rehash on parameter change, and the password policy."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from app.i18n.markers import N_

MIN_LENGTH = 12
MAX_LENGTH = 128


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def hasher_for(params: dict[str, int]) -> PasswordHasher:
    """Return the argon2id hasher configured with `params` (time, memory, parallelism)."""
    return _hasher(params["time_cost"], params["memory_cost"], params["parallelism"])


def hash_password(password: str, params: dict[str, int]) -> str:
    """Hash a password with argon2id."""
    return hasher_for(params).hash(password)


def verify_password(stored_hash: str | None, password: str, params: dict[str, int]) -> bool:
    """Check a password against its stored hash; a missing or broken hash never matches."""
    if not stored_hash:
        # Spend the same time as a real check so the response time does not reveal accounts.
        hasher_for(params).hash(password)
        return False
    try:
        return hasher_for(params).verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, params: dict[str, int]) -> bool:
    """Tell whether the hash was made with other parameters than today's."""
    try:
        return hasher_for(params).check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships a list of the 30,000 most common leaked passwords.
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


@dataclass(frozen=True)
class PolicyResult:
    """Why a password was refused (message ids to translate), empty when it is acceptable."""

    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def check_password_policy(password: str, *, personal: tuple[str, ...] = ()) -> PolicyResult:
    """Apply the policy: 12 to 128 characters, any characters, not common or personal.

    There are deliberately no composition rules (NIST SP 800-63B, ASVS 2.1.9).
    """
    problems: list[str] = []
    if len(password) < MIN_LENGTH:
        problems.append(N_("The password must be at least 12 characters long."))
    if len(password) > MAX_LENGTH:
        problems.append(N_("The password must be at most 128 characters long."))
    lowered = password.lower()
    if lowered in _common_passwords() or lowered.strip("0123456789!.") in _common_passwords():
        problems.append(N_("This password is on a list of commonly used passwords."))
    elif len(password) <= MAX_LENGTH:
        words = tuple(p.lower() for p in personal if p and len(p) >= 3)
        if any(word in lowered for word in words):
            problems.append(N_("The password must not contain your name or e-mail address."))
        elif len(set(password)) < 4:
            problems.append(N_("The password repeats too few different characters."))
        else:
            from zxcvbn import zxcvbn

            if zxcvbn(password[:100], user_inputs=list(words))["score"] < 3:
                problems.append(N_("This password is too easy to guess; try a longer phrase."))
    return PolicyResult(tuple(problems))
