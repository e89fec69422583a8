-- GET /v1/tickets/{id} by the lead, cycling through ticket ids (ids.txt).
local ids, token, n = {}, nil, 0
function init(args)
  token = args[1]
  for line in io.lines(args[2]) do ids[#ids + 1] = line end
end
function request()
  n = n + 1
  return wrk.format("GET", "/v1/tickets/" .. ids[n % #ids + 1], {
    ["Authorization"] = "Bearer " .. token,
  })
end
