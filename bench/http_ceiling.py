"""dealguard with its log write skipped: the ceiling of any decision log (bench only).

Never serve this: it answers decisions that are not logged. `bench/http.py` runs it
beside the real service to show what the decision itself (auth, body, validation, the
rules, masking, JSON, metrics) leaves of the trivial endpoint's throughput before any
log is written; whatever the log costs comes off that.
"""

from wsgi import app

# The committer's append is where a decision waits for its transaction; nothing else
# of the request changes.
app.extensions["dealguard.committer"].append = lambda entry: None
