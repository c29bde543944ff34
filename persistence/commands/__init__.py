"""shiftline: persistence.commands."""
