"""shiftline: web."""
