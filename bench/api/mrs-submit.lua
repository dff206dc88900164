-- (b) Posting an MRS questionnaire: POST /api/v1/patients/{id}/questionnaires/mrs
local people = {}
for line in io.lines(os.getenv("BENCH_PATIENTS")) do
  local id, token = line:match("^(%S+) (%S+)$")
  people[#people + 1] = { id = id, token = token }
end
local body = '{"answers":[2,1,3,0,1,2,2,1,0,1,3]}'
local i = 0
request = function()
  i = i + 1
  local p = people[(i % #people) + 1]
  return wrk.format("POST", "/api/v1/patients/" .. p.id .. "/questionnaires/mrs",
    { ["Authorization"] = "Bearer " .. p.token, ["Content-Type"] = "application/json" }, body)
end
