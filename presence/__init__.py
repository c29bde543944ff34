"""shiftline: presence."""
