-- drain_then_swap.lua: pause the source, wait until the queue has drained,
-- then swap the address rewriter (a stand-in for a NAT) for one with a new
-- address, and resume.  No packet is in flight through the old rewriter.
--   mboxsh scripts/drain_then_swap.lua   (MB_PERIOD_MS)
local PERIOD = tonumber(os.getenv("MB_PERIOD_MS")) or 1000

mb.load([[
src :: InfiniteSource(LIMIT 1000, STOP false, LENGTH 64)
	-> q :: Queue(2000)
	-> u :: Unqueue
	-> nat :: StoreIPAddress(10.0.0.1, 26)
	-> c :: Counter
	-> Discard;
]])

mb.spawn(function()
	mb.sleep(PERIOD)
	mb.write("src.active", false)
	local waited = 0
	while tonumber(mb.read("q.length")) > 0 do
		mb.sleep(PERIOD / 10)
		waited = waited + 1
	end
	print(string.format("queue drained after %d checks, %s packets counted", waited, mb.read("c.count")))
	local _, warn = mb.swap("nat", "StoreIPAddress(10.0.0.2, 26)")
	if warn then print("swap: " .. warn) end
	print("nat is now " .. mb.element("nat"):read("config"))
	mb.write("src.active", true)
end)
