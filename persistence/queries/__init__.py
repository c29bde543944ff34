"""shiftline: persistence.queries."""

__all__: list[str] = []
