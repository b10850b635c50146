"""Approvals given in dealguard (CONTRACT §10): verdicts, references, the inbox."""
