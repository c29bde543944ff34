"""shiftline: persistence.rules."""
