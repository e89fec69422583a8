-- A partner pulls the first page of 50 of its live assignments.
local token
function init(args) token = args[1] end
function request()
  return wrk.format("GET", "/v1/assignments?limit=50", {
    ["Authorization"] = "Bearer " .. token,
  })
end
