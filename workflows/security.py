"""Password hashing (pwdlib, Argon2) and signed bearer tokens (itsdangerous)."""

from __future__ import annotations

from functools import lru_cache

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from pwdlib import PasswordHash


@lru_cache(maxsize=1)
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher().verify(password, password_hash)
    except Exception:  # a malformed stored hash is a failed login, not a crash
        return False


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="groupgov-api-token")


def issue_token(secret: str, person_id: int) -> str:
    return _serializer(secret).dumps({"sub": person_id})


def read_token(secret: str, token: str, max_age: int) -> int | None:
    """The person id a token was issued to, or None when it is forged or expired."""
    try:
        data = _serializer(secret).loads(token, max_age=max_age)
    except (BadSignature, SignatureExpired):
        return None
    sub = data.get("sub") if isinstance(data, dict) else None
    return sub if isinstance(sub, int) else None
