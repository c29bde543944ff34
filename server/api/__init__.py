"""The HTTP API: one module per area, each exporting ``routes``."""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import (
    accounts,
    address_book,
    audit,
    broadcasts,
    campaigns,
    contacts,
    conversations,
    drips,
    export,
    health,
    inbound,
    inbox,
    lookup,
    me,
    media,
    opt_outs,
    organization,
    overview,
    reassign,
    replies,
    shift,
    sms_status,
)

__all__ = ["routes"]

routes: list[BaseRoute] = [
    *health.routes,
    *accounts.routes,
    *organization.routes,
    *campaigns.routes,
    *contacts.routes,
    *overview.routes,
    *me.routes,
    *reassign.routes,
    *lookup.routes,
    *inbox.routes,
    *conversations.routes,
    *drips.routes,
    *address_book.routes,
    *inbound.routes,
    *sms_status.routes,
    *replies.routes,
    *export.routes,
    *opt_outs.routes,
    *shift.routes,
    *audit.routes,
    *broadcasts.routes,
    *media.routes,
]
