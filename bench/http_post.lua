-- wrk script: POST one discount request as the CRM would (a new decision each time).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("DEALGUARD_KEY") or "none")
wrk.body = [[{"action":"discount","actor":{"id":"m-1","role":"manager"},
"client":{"id":"c-1","segment":"wholesale","name":"Ivan Petrov","email":"ivan@example.com"},
"deal":{"id":"d-1","currency":"RUB","list_amount":100000,"cost_amount":70000},
"discount":{"percent":12.5}}]]
