"""The decision log: one hash-chained record per decision, written before it is answered.

    models.py  the tables
    write/     the record of a decision (masked, scrubbed, canonical), the hash chain,
               group commit, the writer process and the append itself; signed digests
    read/      filters and pages, export, verify, the look-ups deciding needs, and the
               logged requests a policy's impact replays

Nothing here knows about rules, Flask or HTTP: the writer takes a finished record and
stores it durably, or raises LogWriteError so the caller can fail closed. `read`
may use `write`'s definitions (the chain's link, the columns' copies), never the
other way round.
"""
