"""shiftline: persistence.outbox."""
