"""verify against signed digests (app.log.write.digest): a re-hashed rewrite is found too.

1. Every digest in the directory carries a valid signature of the given public key.
2. The digests chain: each names the file before it and that file's SHA-256, their
   seqs never go down and their times always go up. (The first one's predecessor may
   have been pruned; it is named in the answer.)
3. The log verifies as app.log.read.verify checks it, and the record at each digest's seq
   has the signed hash. The chain before it links to that hash, so every record up to
   the latest digest's seq is the one that was signed; a log that ends before that
   seq has lost records.

A record rewritten with every hash after it written again is found as long as one
digest made after it was kept where the database's users could not change it.
Records after the latest digest are proven by the chain alone, as before.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine

from app.log.read.verify import BATCH, Result, verify
from app.log.write import digest as digests


@dataclass(frozen=True)
class Checkpoint:
    seq: int
    hash: str
    made_at: str
    previous_seq: int  # the seq of the digest before it (0: none), all proven up to there


def verify_with_digests(db_engine: Engine, directory: str | Path, key: Ed25519PublicKey,
                        batch: int = BATCH) -> Result:
    """verify(), with the digests of `directory` as checkpoints; `digests` in the answer."""
    summary: dict[str, Any] = {"directory": str(directory), "key_id": digests.key_id(key),
                               "checked": 0}
    try:
        checkpoints, summary = _read_chain(Path(directory), key, summary)
    except digests.DigestError as error:
        return Result(False, 0, None, f"digests: {error}", {**summary, "problem": str(error)})
    result = verify(db_engine, batch, {c.seq: c for c in checkpoints})
    return replace(result, digests=summary)


def with_settings(db_engine: Engine, settings: Any) -> Result:
    """verify_with_digests on the configured directory, with the configured public key
    (DEALGUARD_DIGEST_PUBLIC_KEY), else the public half of DEALGUARD_DIGEST_KEY."""
    try:
        if settings.digest_public_key:
            key = digests.load_public_key(settings.digest_public_key,
                                          "DEALGUARD_DIGEST_PUBLIC_KEY")
        else:
            key = digests.load_private_key(settings.digest_key).public_key()
    except digests.DigestError as error:
        summary = {"directory": settings.digest_dir, "checked": 0, "problem": str(error)}
        return Result(False, 0, None, f"digests: {error}", summary)
    return verify_with_digests(db_engine, settings.digest_dir, key)


def _read_chain(folder: Path, key: Ed25519PublicKey,
                summary: dict[str, Any]) -> tuple[list[Checkpoint], dict[str, Any]]:
    if not folder.is_dir():
        raise digests.DigestError(f"{folder} is not a directory")
    checkpoints: list[Checkpoint] = []
    before: tuple[Path, dict[str, Any]] | None = None
    for path in digests.files(folder):
        digest = digests.read(path)
        if digest.get("key_id") != summary["key_id"] or not digests.signature_holds(digest, key):
            raise digests.DigestError(f"{path.name}: the signature does not verify with "
                                      "this public key")
        seq, signed_hash = digest.get("seq"), digest.get("hash")
        if not isinstance(seq, int) or seq < 0 or not isinstance(signed_hash, str):
            raise digests.DigestError(f"{path.name}: no seq and hash")
        if before is None:
            summary["first"] = {"file": path.name, "seq": seq, "made_at": digest["made_at"],
                                "previous": digest.get("previous")}
        else:
            _links(before, path, digest)
        previous_seq = checkpoints[-1].seq if checkpoints else 0
        for earlier in checkpoints:
            if earlier.seq == seq and earlier.hash != signed_hash:
                raise digests.DigestError(f"{path.name}: another hash at seq {seq} than "
                                          "an earlier digest")
        checkpoints.append(Checkpoint(seq, signed_hash, str(digest.get("made_at")),
                                      previous_seq))
        before = (path, digest)
    summary["checked"] = len(checkpoints)
    if before is not None:
        summary["last"] = {"file": before[0].name, "seq": before[1]["seq"],
                           "made_at": before[1]["made_at"]}
    return checkpoints, summary


def _links(before: tuple[Path, dict[str, Any]], path: Path, digest: dict[str, Any]) -> None:
    previous = digest.get("previous") or {}
    named = previous.get("file") if isinstance(previous, dict) else None
    if named != before[0].name:
        raise digests.DigestError(f"{path.name}: names {named} as the digest before it, "
                                  f"not {before[0].name} (a digest missing or added)")
    if previous.get("sha256") != hashlib.sha256(before[0].read_bytes()).hexdigest():
        raise digests.DigestError(f"{path.name}: {before[0].name} is not the file it signed")
    if digest["seq"] < before[1]["seq"]:
        raise digests.DigestError(f"{path.name}: a smaller seq than the digest before it")
    if not str(digest.get("made_at")) > str(before[1].get("made_at")):
        raise digests.DigestError(f"{path.name}: not made after the digest before it")
