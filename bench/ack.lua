-- A partner acknowledges its assignments, each one once: the ids in the file
-- are split between wrk's threads, and each thread walks its own share.
local token, ids, n, step = nil, {}, 0, 1
local threads, counter = {}, 0
function setup(thread)
  counter = counter + 1
  thread:set("slot", counter)
  threads[#threads + 1] = thread
end
function init(args)
  token = args[1]
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
  step = tonumber(args[3]) or 2
  n = slot - step
end
function request()
  n = n + step
  local id = ids[(n - 1) % #ids + 1]
  return wrk.format("POST", "/v1/assignments/" .. id .. "/ack", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, '{"note":"on it"}')
end
