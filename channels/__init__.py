"""shiftline: channels."""
