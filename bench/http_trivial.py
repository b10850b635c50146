"""The baseline for bench/http_load.sh: a trivial Flask JSON endpoint under the same gunicorn.

It parses the same JSON body and answers a small JSON object, and does nothing else:
the gap to POST /v1/decisions is the price of validation, rules and the durable log.
"""

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/v1/decisions")
def echo():
    body = request.get_json()
    return jsonify({"outcome": "allow", "action": body.get("action")})
