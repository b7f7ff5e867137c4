-- wrk: GET a random known contact by id with the bearer token.
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local token = os.getenv("TOKEN")
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/api/v1/contacts/" .. id, { ["Authorization"] = "Bearer " .. token })
end
