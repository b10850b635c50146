"""A webhook's signing secret, sealed at rest.

The worker must have the secret itself to sign (HMAC), so it cannot be stored as a
hash. It is stored encrypted (Fernet: AES-CBC and an HMAC) under a key derived from
DEALGUARD_SECRET_KEY by HKDF, so a copy of the database alone does not give it away.
Changing DEALGUARD_SECRET_KEY makes the stored secrets unreadable: the webhooks must
then be registered again (their deliveries fail with "secret unreadable").
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_INFO = b"dealguard webhook secrets v1"


class SecretUnreadable(Exception):
    """The sealed secret was sealed under another DEALGUARD_SECRET_KEY, or altered."""


@functools.lru_cache(maxsize=8)
def _fernet(service_secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        service_secret.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(key))


def seal(service_secret: str, secret: str) -> str:
    return _fernet(service_secret).encrypt(secret.encode("utf-8")).decode("ascii")


def unseal(service_secret: str, sealed: str) -> str:
    try:
        return _fernet(service_secret).decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        raise SecretUnreadable() from None
