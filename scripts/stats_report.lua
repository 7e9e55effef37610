-- stats_report.lua: print every counter (mb.stats) and its rate once a
-- period, sorted by name, MB_REPORTS times (default 5).
--   mboxsh scripts/stats_report.lua
local PERIOD = tonumber(os.getenv("MB_PERIOD_MS")) or 1000
local REPORTS = tonumber(os.getenv("MB_REPORTS")) or 5

mb.load([[
a :: RatedSource(RATE 1000, STOP false) -> ca :: Counter -> Discard;
b :: RatedSource(RATE 250, STOP false) -> cb :: Counter -> Discard;
]])

local last, n = {}, 0
mb.every(PERIOD, function(timer)
	n = n + 1
	local stats, names = mb.stats(), {}
	for name in pairs(stats) do names[#names + 1] = name end
	table.sort(names)
	print(string.format("--- report %d", n))
	for _, name in ipairs(names) do
		local count = stats[name]
		print(string.format("  %-8s %10d  %8.1f/s", name, count, (count - (last[name] or 0)) * 1000 / PERIOD))
		last[name] = count
	end
	if n >= REPORTS then timer:stop() end
end)
