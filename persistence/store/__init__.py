"""shiftline: persistence.store."""

__all__: list[str] = []
