"""The hash chain: each record's hash covers the previous hash and its own document.

hash(n) = sha256(prev_hash + document(n)), document(n) being canonical JSON that
includes seq n; so any changed, removed or inserted record breaks the chain.
"""

from __future__ import annotations

import hashlib

GENESIS = "0" * 64


def link(prev_hash: str, document: str) -> str:
    return hashlib.sha256((prev_hash + document).encode("utf-8")).hexdigest()
