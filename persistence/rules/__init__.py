"""shiftline: persistence.rules."""

__all__: list[str] = []
