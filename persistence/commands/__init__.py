"""shiftline: persistence.commands."""

__all__: list[str] = []
