-- ramp_rate.lua: double a RatedSource's rate every period, from 100 to
-- 12800 packets per second, printing what the counter saw at each step.
--   mboxsh scripts/ramp_rate.lua        (MB_PERIOD_MS=100 to run faster)
local PERIOD = tonumber(os.getenv("MB_PERIOD_MS")) or 1000
local MAX = 12800

mb.load([[
src :: RatedSource(RATE 100, STOP false) -> c :: Counter -> Discard;
]])

local rate, last = 100, 0
mb.every(PERIOD, function(timer)
	local count = tonumber(mb.read("c.count"))
	print(string.format("rate %6d/s  counted %8d  (+%d)", rate, count, count - last))
	last = count
	if rate >= MAX then
		timer:stop()
		return
	end
	rate = rate * 2
	mb.write("src.rate", rate)
end)
