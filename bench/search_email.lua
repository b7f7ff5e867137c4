-- wrk: search a random known email through the blind index.
local emails = {}
for line in io.lines(os.getenv("EMAILS")) do emails[#emails + 1] = line end
local token = os.getenv("TOKEN")
request = function()
  local e = emails[math.random(#emails)]
  return wrk.format("GET", "/api/v1/contacts?q=" .. e:gsub("@", "%%40"), { ["Authorization"] = "Bearer " .. token })
end
