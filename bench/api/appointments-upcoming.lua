-- (a) A patient's upcoming appointments page: GET /api/v1/appointments?patientId=..&from=now
local people = {}
for line in io.lines(os.getenv("BENCH_PATIENTS")) do
  local id, token = line:match("^(%S+) (%S+)$")
  people[#people + 1] = { id = id, token = token }
end
local from = os.getenv("BENCH_NOW")
local i = 0
request = function()
  i = i + 1
  local p = people[(i % #people) + 1]
  return wrk.format("GET", "/api/v1/appointments?patientId=" .. p.id .. "&from=" .. from .. "&limit=20", { ["Authorization"] = "Bearer " .. p.token })
end
