-- wrk script: POST /v1/decisions/batch with 100 discount requests per call.
wrk.method = "POST"
wrk.path = "/v1/decisions/batch"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("DEALGUARD_KEY") or "none")
local one = [[{"action":"discount","actor":{"id":"m-1","role":"manager"},
"client":{"id":"c-1","segment":"wholesale","name":"Ivan Petrov","email":"ivan@example.com"},
"deal":{"id":"d-1","currency":"RUB","list_amount":100000,"cost_amount":70000},
"discount":{"percent":12.5}}]]
local items = {}
for i = 1, 100 do items[i] = one end
wrk.body = '{"requests":[' .. table.concat(items, ",") .. ']}'
