-- rotate_blocklist.lua: every period, install the next blocklist in an
-- IPFilter with mb.reconfigure (the filter keeps its identity and counts).
--   mboxsh scripts/rotate_blocklist.lua   (MB_PERIOD_MS, MB_ROUNDS)
local PERIOD = tonumber(os.getenv("MB_PERIOD_MS")) or 1000
local ROUNDS = tonumber(os.getenv("MB_ROUNDS")) or 6

local blocklists = {
	{"10.0.0.1", "10.0.0.2"},
	{"192.168.1.0/24"},
	{"172.16.0.5", "172.16.0.6", "172.16.0.7"},
}

local function rules(list)
	local r = {}
	for _, addr in ipairs(list) do
		r[#r + 1] = "deny src net " .. (addr:find("/") and addr or addr .. "/32")
	end
	r[#r + 1] = "allow all"
	return table.concat(r, ", ")
end

mb.load(string.format([[
in :: Idle -> f :: IPFilter(%s) -> c :: Counter -> Discard;
]], rules(blocklists[1])))

local round = 0
mb.every(PERIOD, function(timer)
	round = round + 1
	local list = blocklists[round % #blocklists + 1]
	local ok, warn = mb.reconfigure("f", rules(list))
	print(string.format("round %d: blocking %s%s", round, table.concat(list, " "),
		warn and (" (" .. warn .. ")") or ""))
	if round >= ROUNDS then timer:stop() end
end)
