-- multi_tenant.lua: generate a configuration for N tenants with the
-- builder (a source, a filter on the tenant's prefix and a counter each),
-- install it with hotconfig, then add a tenant: the others keep running
-- untouched and keep their counts.
--   mboxsh scripts/multi_tenant.lua   (MB_TENANTS, MB_PERIOD_MS)
local PERIOD = tonumber(os.getenv("MB_PERIOD_MS")) or 1000
local TENANTS = tonumber(os.getenv("MB_TENANTS")) or 4

local function build(n)
	local g = mb.config()
	for i = 1, n do
		local t = "t" .. i
		g:element(t .. "_src", "InfiniteSource", {"LIMIT " .. (100 * i), "STOP false"})
		g:element(t .. "_f", "IPFilter", string.format("allow dst net 10.%d.0.0/16, deny all", i))
		g:element(t .. "_cnt", "Counter")
		g:element(t .. "_out", "Discard")
		g:connect(t .. "_src", t .. "_cnt")
		g:connect(t .. "_cnt", t .. "_out")
		g:element(t .. "_in", "Idle")
		g:connect(t .. "_in", t .. "_f")
		g:connect(t .. "_f", t .. "_out")
	end
	return g
end

mb.load("Idle -> Discard;")
mb.hotconfig(build(TENANTS))
print(string.format("%d tenants, %d elements", TENANTS, #mb.graph()))

mb.spawn(function()
	mb.sleep(PERIOD)
	local before = mb.stats()
	local _, warn = mb.hotconfig(build(TENANTS + 1))
	if warn then print("hotconfig: " .. warn) end
	local after = mb.stats()
	for i = 1, TENANTS + 1 do
		local name = "t" .. i .. "_cnt"
		print(string.format("%-8s before %6s  after %6s", name, tostring(before[name]), tostring(after[name])))
	end
end)
