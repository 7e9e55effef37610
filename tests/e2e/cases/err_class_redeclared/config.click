elementclass A { input -> output }
elementclass A { input -> output }
