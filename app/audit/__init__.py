"""The decision log: models, masking of confidential fields, the hash chain, the writer.

Nothing here knows about rules or HTTP: the writer takes a finished record and
stores it durably, or raises LogWriteError so the caller can fail closed.
"""
