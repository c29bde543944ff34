"""shiftline: persistence."""
