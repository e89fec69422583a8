-- POST /v1/tickets: each request a customer's complaint, with one of the
-- customers' tokens (read from tokens.txt in the working directory) and a
-- body drawn from a small mix of internet and phone faults.
local tokens, bodies = {}, {
  '{"summary":"No internet since this morning","description":"All router lights are red.","service":"internet","symptom":"no_service","equipment":"router","priority":"high"}',
  '{"summary":"Internet is slow in the evenings","description":"Speed tests show 2 Mbit/s.","service":"internet","symptom":"slow","equipment":"router","priority":"normal"}',
  '{"summary":"No dial tone","description":"The handset is silent.","service":"phone","symptom":"no_dial_tone","equipment":"handset","priority":"normal"}',
  '{"summary":"Line drops every hour","description":"The connection drops and comes back.","service":"internet","symptom":"intermittent","equipment":"dsl_modem","priority":"low"}',
}
local n = 0
function init(args)
  for line in io.lines(args[1] or "tokens.txt") do tokens[#tokens + 1] = line end
end
function request()
  n = n + 1
  return wrk.format("POST", "/v1/tickets", {
    ["Authorization"] = "Bearer " .. tokens[n % #tokens + 1],
    ["Content-Type"] = "application/json",
  }, bodies[n % #bodies + 1])
end
