"""shiftline: persistence.queries."""
