"""``shiftline serve --demo``: a demo organization to click through."""

from __future__ import annotations

from persistence.database import Database

__all__ = ["seed_demo"]


async def seed_demo(db: Database) -> list[str]:
    """Seed the demo data (idempotent) and return the lines to print."""
    return ["demo data is not available yet"]
