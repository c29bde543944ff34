"""shiftline: persistence.outbox."""

__all__: list[str] = []
