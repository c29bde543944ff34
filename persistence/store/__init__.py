"""shiftline: persistence.store."""
