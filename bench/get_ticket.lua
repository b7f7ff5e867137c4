-- wrk: GET a random known ticket by id with the bearer token (its text is decrypted, the read
-- decided by the ticket's contact and logged with its purpose).
local ids = {}
for line in io.lines(os.getenv("TICKETS")) do ids[#ids + 1] = line end
local token = os.getenv("TOKEN")
request = function()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/api/v1/tickets/" .. id, { ["Authorization"] = "Bearer " .. token })
end
