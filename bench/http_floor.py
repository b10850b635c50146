"""The floor of a decision in this stack: what any POST /v1/decisions must do in Flask.

Beside the trivial endpoint (bench/http_trivial.py) it does the three things the contract
asks of every decision whatever decides it, with dealguard's own JSON functions: the body
parsed exactly (money as Decimal), its canonical text fingerprinted (HMAC-SHA256, for
request_id reuse), and an answer of a decision's size (~740 bytes, four reasons). No key,
no validation, no rules, no log. `bench/http.py --only trivial,floor,ceiling` puts it
between the two: what is left between floor and ceiling is the decision's own work
(validation, rules, messages, masking, the log record).
"""

import hashlib
import hmac
import uuid

from flask import Flask, Response, request

from app.jsontext import dumps, loads

app = Flask(__name__)

SECRET = b"bench-only"
REASON = {"rule": "need.documented-need", "principle": "real-need", "outcome": "deny",
          "approver": None, "satisfied_by": None, "approval_id": None, "item": "sku-2-350",
          "message": "The need \"gadgets\" is not among the client's documented needs."}


@app.post("/v1/decisions")
def decide():
    body = loads(request.get_data())
    fingerprint = hmac.digest(SECRET, dumps(body, str_keys=True).encode(), hashlib.sha256)
    answer = {"decision_id": str(uuid.uuid4()), "request_id": body.get("request_id"),
              "action": body.get("action"), "outcome": "deny", "required_approvals": [],
              "reasons": [REASON] * 4, "fingerprint": fingerprint.hex()[:16]}
    return Response(dumps(answer, sort_keys=False, str_keys=True), mimetype="application/json")
