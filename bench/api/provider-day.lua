-- (c) A provider's day: GET /api/v1/appointments?providerId=..&from=<day>&to=<day+1>
local people = {}
for line in io.lines(os.getenv("BENCH_PROVIDERS")) do
  local id, token = line:match("^(%S+) (%S+)$")
  people[#people + 1] = { id = id, token = token }
end
local from, to = os.getenv("BENCH_DAY_FROM"), os.getenv("BENCH_DAY_TO")
local i = 0
request = function()
  i = i + 1
  local p = people[(i % #people) + 1]
  return wrk.format("GET", "/api/v1/appointments?providerId=" .. p.id .. "&from=" .. from .. "&to=" .. to .. "&limit=20", { ["Authorization"] = "Bearer " .. p.token })
end
