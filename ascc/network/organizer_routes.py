"""The organizers' view of the year-round network: members by country and category, joins per month,
off-season meetings, and the member list with a CSV export."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.response import Template

from ascc.csv_export import to_csv
from ascc.editions import services as editions
from ascc.network import directory
from ascc.network import services as network
from ascc.security import requires_organizer
from ascc.web import DbSession, page


class NetworkAdminPages(Controller):
    path = "/organizer/network"
    guards = [requires_organizer]
    include_in_schema = False

    @get("/")
    async def overview(self, request: Request, db_session: DbSession) -> Template:
        everyone = await directory.cards(db_session)
        current = await editions.current(db_session)
        tz = current.timezone if current else network.DEFAULT_ZONE
        return page(
            request,
            "organizer/network.html",
            figures=await directory.figures(db_session, everyone, tz),
            cards=everyone,
            tz=tz,
            local=ZoneInfo(tz),  # join dates are days in the edition's zone
            _has_partial=False,
        )

    @get("/members.csv")
    async def export(self, db_session: DbSession) -> Response[bytes]:
        current = await editions.current(db_session)
        tz = current.timezone if current else network.DEFAULT_ZONE
        rows = directory.csv_rows(await directory.cards(db_session), tz)
        return Response(
            to_csv(directory.CSV_HEADER, rows),
            media_type="text/csv",
            headers={
                "content-disposition": 'attachment; filename="network-members.csv"',
                "cache-control": "private, no-store",  # personal data: kept by no browser or proxy
            },
        )
