"""Signed digests of the chain head: proof of the log kept outside the database.

The hash chain shows any change to a record, unless whoever changes it also writes
every hash after it again, which anyone with write access to the database can do.
So, like AWS CloudTrail's digest files, the service signs at intervals what the log
was: the last seq, its hash, the time, and the hash of the previous digest, with an
Ed25519 key the database never holds. A copy kept where the database's users cannot
write proves every record up to its seq: a record rewritten and re-hashed no longer
ends in the signed hash (app.log.read.verify_digests).

A digest is one file of canonical JSON:

    {"format": "dealguard-digest/1", "hash": ..., "key_id": ..., "made_at": ...,
     "previous": {"file": ..., "sha256": ...} | null, "seq": ..., "signature": ...}

`signature` is the base64 Ed25519 signature of the canonical JSON of every other
field; `key_id` the SHA-256 of the raw public key; `previous.sha256` that of the
previous digest file's bytes, so the digests form a chain of their own and one taken
out of the middle is seen. Files are named digest-<made_at>-<seq>.json and sort by time.

Digests go to a directory (DEALGUARD_DIGEST_DIR), which an operator copies or mounts
somewhere else. Webhooks (CONTRACT §10) do not exist yet; when they do, a
`log.digest` event would carry the very text `make` returns, beside the file.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from sqlalchemy import Connection, Engine, select

from app.jsontext import dumps
from app.log.models import Approval, ChainHead, Decision
from app.log.write.chain import GENESIS
from app.log.write.writer import HEAD_ID

FORMAT = "dealguard-digest/1"
PATTERN = "digest-*.json"
_LOCK = ".digest.lock"


class DigestError(Exception):
    """A digest cannot be made or read; the message names no key material."""


# -- keys ---------------------------------------------------------------------------------

def load_private_key(setting: str, name: str = "DEALGUARD_DIGEST_KEY") -> Ed25519PrivateKey:
    """The signing key from a setting that holds a PEM or the path of a PEM file."""
    key = _load(setting, name, serialization.load_pem_private_key, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise DigestError(f"{name} is not an Ed25519 private key")
    return key


def load_public_key(setting: str, name: str) -> Ed25519PublicKey:
    """A public key from a PEM or the path of a PEM file (a private key gives its own)."""
    text = _pem_text(setting, name)
    if "PRIVATE KEY" in text:
        return load_private_key(text, name).public_key()
    key = _load(text, name, serialization.load_pem_public_key)
    if not isinstance(key, Ed25519PublicKey):
        raise DigestError(f"{name} is not an Ed25519 public key")
    return key


def _pem_text(setting: str, name: str) -> str:
    if not setting:
        raise DigestError(f"{name} is not set")
    if setting.lstrip().startswith("-----BEGIN"):
        return setting
    try:
        return Path(setting).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        raise DigestError(f"{name}: cannot read the key file {setting} "
                          f"({type(error).__name__})") from None


def _load(setting: str, name: str, loader, **kwargs) -> Any:
    text = _pem_text(setting, name)
    try:
        return loader(text.encode("ascii"), **kwargs)
    except (ValueError, TypeError, UnicodeEncodeError):
        # The library's message could describe the key's content: say only what it is.
        raise DigestError(f"{name} holds no usable PEM key") from None


def new_key_pair() -> tuple[bytes, bytes]:
    """(private PEM, public PEM) of a new Ed25519 key."""
    private = Ed25519PrivateKey.generate()
    return (private.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()),
            public_pem(private.public_key()))


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()


# -- making ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Made:
    path: Path
    digest: dict[str, Any]


def write(db_engine: Engine, directory: str | Path, key: Ed25519PrivateKey,
          now: datetime | None = None) -> Made:
    """Sign the log's chain head now and store the digest in `directory`.

    Refuses (DigestError) to sign a log that no longer agrees with the latest digest
    there: fewer records than it names, or another hash at its seq. Signing such a log
    would make its rewrite look like history.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        previous = latest(folder)
        seq, head_hash = _head(db_engine)
        if previous is not None:
            _agrees(db_engine, previous[1], seq)
        made_at = (now or datetime.now(UTC)).astimezone(UTC)
        payload = {
            "format": FORMAT,
            "seq": seq,
            "hash": head_hash,
            "made_at": made_at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "previous": None if previous is None else {
                "file": previous[0].name,
                "sha256": hashlib.sha256(previous[0].read_bytes()).hexdigest()},
            "key_id": key_id(key.public_key()),
        }
        signature = key.sign(dumps(payload).encode("utf-8"))
        digest = {**payload, "signature": base64.b64encode(signature).decode("ascii")}
        name = f"digest-{made_at.strftime('%Y%m%dT%H%M%S%f')[:-3]}Z-{seq:012d}.json"
        path = folder / name
        if path.exists() or (previous is not None and path.name <= previous[0].name):
            raise DigestError("a digest of this moment or a later one exists already")
        _store(path, dumps(digest) + "\n")
        return Made(path, digest)


def _head(db_engine: Engine) -> tuple[int, str]:
    """The chain head, checked against the last record it names."""
    with db_engine.connect() as connection:
        head = connection.execute(
            select(ChainHead.seq, ChainHead.hash).where(ChainHead.id == HEAD_ID)).first()
        if head is None or head.seq == 0:
            last = connection.execute(select(Decision.seq).limit(1)).first()
            if last is not None:
                raise DigestError("the log has records but no chain head")
            return 0, GENESIS
        record_hash = _hash_at(connection, head.seq)
    if record_hash != head.hash:
        raise DigestError(f"the chain head (seq {head.seq}) differs from its record")
    return int(head.seq), head.hash


def _agrees(db_engine: Engine, previous: dict[str, Any], seq: int) -> None:
    signed_seq, signed_hash = previous.get("seq"), previous.get("hash")
    if not isinstance(signed_seq, int) or signed_seq == 0:
        return
    if seq < signed_seq:
        raise DigestError(f"the log ends at seq {seq}, before the latest digest's seq "
                          f"{signed_seq}: records were removed")
    with db_engine.connect() as connection:
        record_hash = _hash_at(connection, signed_seq)
    if record_hash != signed_hash:
        raise DigestError(f"the record at seq {signed_seq} differs from the latest digest: "
                          "the log was rewritten")


def _hash_at(connection: Connection, seq: int) -> str | None:
    """The hash of the link at `seq`: a decision, or an approval."""
    for table in (Decision, Approval):
        row = connection.execute(select(table.hash).where(table.seq == seq)).first()
        if row is not None:
            return row.hash
    return None


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    # Two `log digest` runs at once would both link to the same previous digest.
    with open(folder / _LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _store(path: Path, text: str) -> None:
    """Write whole or not at all, and durably: a digest is evidence."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".digest-", suffix=".tmp")
    try:
        os.fchmod(handle, 0o644)  # evidence to copy elsewhere, not a secret
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.link(temporary, path)  # fails rather than replace an existing digest
    finally:
        os.unlink(temporary)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


# -- reading -----------------------------------------------------------------------------

def files(folder: str | Path) -> list[Path]:
    """The digest files of `folder`, oldest first."""
    return sorted(Path(folder).glob(PATTERN))


def latest(folder: Path) -> tuple[Path, dict[str, Any]] | None:
    found = files(folder)
    if not found:
        return None
    return found[-1], read(found[-1])


def read(path: Path) -> dict[str, Any]:
    try:
        digest = json.loads(path.read_bytes())
    except (OSError, ValueError) as error:
        raise DigestError(f"{path.name}: not a readable digest ({type(error).__name__})") \
            from None
    if not isinstance(digest, dict) or digest.get("format") != FORMAT:
        raise DigestError(f"{path.name}: not a {FORMAT} digest")
    return digest


def signature_holds(digest: dict[str, Any], key: Ed25519PublicKey) -> bool:
    payload = {name: value for name, value in digest.items() if name != "signature"}
    try:
        signature = base64.b64decode(str(digest.get("signature", "")), validate=True)
        key.verify(signature, dumps(payload).encode("utf-8"))
    except (InvalidSignature, ValueError):
        return False
    return True
