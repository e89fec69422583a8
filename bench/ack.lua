-- Partners acknowledge their assignments, each one once. Each line of the
-- file is "TOKEN ASSIGNMENT-ID"; the lines are split between wrk's threads,
-- and each thread walks its own share.
local lines, n, step = {}, 0, 1
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("slot", counter)
end
function init(args)
  for line in io.lines(args[1]) do
    local token, id = line:match("^(%S+) (%S+)$")
    lines[#lines + 1] = {token, id}
  end
  step = tonumber(args[2]) or 2
  n = slot - step
end
function request()
  n = n + step
  local l = lines[(n - 1) % #lines + 1]
  return wrk.format("POST", "/v1/assignments/" .. l[2] .. "/ack", {
    ["Authorization"] = "Bearer " .. l[1],
    ["Content-Type"] = "application/json",
  }, '{"note":"on it"}')
end
