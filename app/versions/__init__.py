"""Policy versions in the database (CONTRACT §12): the table and what changes it.

The database, not each host's disk, holds the policy: every version ever proposed,
which one is active, which one runs in shadow. `app.policy_holder` makes each process
follow them; `app.engine.diff` compares two of them.
"""
