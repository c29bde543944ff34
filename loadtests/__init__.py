"""shiftline: loadtests."""
