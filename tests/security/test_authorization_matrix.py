"""The authorization matrix: every route of the app, requested as every role, against a readable table.

Every operation is enumerated from the app itself (HTML pages and /api/v1, every method) and its path
filled with real ids of the seeded demo (tests/security/app_routes.py). Each role is one client on its
own copy of the demo: the demo accounts signed in with their session cookie for pages, their API token
(Bearer) for /api/v1. A role outside an operation's entry must never get a 2xx or a redirect that did
something: it gets 401/403 (404 where the object is simply not theirs), or, anonymous on a page, a 303 to
/login. A role inside the entry may get any answer but a 5xx: bodies are minimal (an empty form, no JSON),
so a 4xx naming a field is expected; this tests access, not validation.

The table names the roles a route is *for*. Where the service decides among signed-in people by their own
data (a registration, a delegation, being a party to a meeting) the route is SIGNED_IN here and the
object-level refusals are in test_idor.py. A route added later without an entry fails
test_every_route_has_an_entry, so the table stays complete.
"""

from __future__ import annotations

import pytest

from ascc.config import Settings
from tests.security.app_routes import STREAMS, all_operations, fill, first_status
from tests.security.conftest import Demo, app_client, copy_demo, csrf_header, signed_in

ROLES = ("anonymous", "delegate", "online", "exhibitor", "checkin", "organizer")
EVERYONE = frozenset(ROLES)
SIGNED_IN = EVERYONE - {"anonymous"}
ORGANIZER = frozenset({"organizer"})
STAFF = frozenset({"checkin", "organizer"})  # check-in staff and organizers
EXHIBITOR_STAFF = frozenset({"exhibitor"})  # staff of an exhibitor (the demo's: exhibitor@), not organizers
# Rules of the services that, among the demo accounts, only these meet:
REGISTERED_OR_ORGANIZER = frozenset(
    {"delegate", "online", "exhibitor", "organizer"}
)  # check-in staff hold no registration
CITY_OFFICIAL_OR_ORGANIZER = frozenset(
    {"delegate", "organizer"}
)  # city needs, directory, matching people, polls in the room
MATCHING_PARTICIPANT = frozenset({"delegate"})  # a matching profile: a category the matching rules let ask
MEETING_A_PARTIES = frozenset(
    {"delegate", "exhibitor"}
)  # the demo's meeting 1: the delegate asked the exhibitor

ACCESS: dict[str, frozenset[str]] = {
    # /
    "GET /": EVERYONE,
    # /account
    "GET /account": SIGNED_IN,
    "POST /account": SIGNED_IN,
    "GET /account/delete": SIGNED_IN,
    "POST /account/delete": SIGNED_IN,
    "GET /account/export.json": SIGNED_IN,
    "GET /account/mail": SIGNED_IN,
    "POST /account/mail": SIGNED_IN,
    "POST /account/tokens": SIGNED_IN,
    "POST /account/tokens/{token_id:int}/revoke": SIGNED_IN,
    # /agenda
    "GET /agenda": EVERYONE,
    # /api/v1/audit
    "GET /api/v1/audit": ORGANIZER,
    # /api/v1/badges
    "POST /api/v1/badges/prints": ORGANIZER,
    "GET /api/v1/badges/prints/{print_id:int}": ORGANIZER,
    "GET /api/v1/badges/public-key": EVERYONE,
    "GET /api/v1/badges/revoked": STAFF,
    # /api/v1/certificates
    "GET /api/v1/certificates/verify/{code:str}": EVERYONE,
    # /api/v1/checkin
    "POST /api/v1/checkin": STAFF,
    "GET /api/v1/checkin/places": STAFF,
    "GET /api/v1/checkin/roster": STAFF,
    "GET /api/v1/checkin/search": STAFF,
    "GET /api/v1/checkin/stats": STAFF,
    # /api/v1/delegation
    "POST /api/v1/delegation/members": SIGNED_IN,
    # /api/v1/editions
    "GET /api/v1/editions": EVERYONE,
    "GET /api/v1/editions/current": EVERYONE,
    "GET /api/v1/editions/{slug:str}": EVERYONE,
    # /api/v1/exhibitors
    "GET /api/v1/exhibitors": EVERYONE,
    "GET /api/v1/exhibitors/{exhibitor_id:int}": EVERYONE,
    # /api/v1/leads
    "GET /api/v1/leads": EXHIBITOR_STAFF,
    "POST /api/v1/leads": EXHIBITOR_STAFF,
    # /api/v1/matching
    "GET /api/v1/matching/capacity": ORGANIZER,
    "GET /api/v1/matching/recommendations": SIGNED_IN,
    "GET /api/v1/matching/runs/{run_id:int}": ORGANIZER,
    "POST /api/v1/matching/schedule": ORGANIZER,
    # /api/v1/me
    "GET /api/v1/me": SIGNED_IN,
    "POST /api/v1/me": SIGNED_IN,
    "GET /api/v1/me/agenda": SIGNED_IN,
    "GET /api/v1/me/feedback": SIGNED_IN,
    "POST /api/v1/sessions/{session_id:int}/feedback": SIGNED_IN,  # the service asks for a registration
    "DELETE /api/v1/me/agenda/{session_id:int}": SIGNED_IN,
    "POST /api/v1/me/agenda/{session_id:int}": SIGNED_IN,
    "GET /api/v1/me/badge.pdf": SIGNED_IN,
    "GET /api/v1/me/badge.png": SIGNED_IN,
    "GET /api/v1/me/badge.svg": SIGNED_IN,
    "DELETE /api/v1/me/calendar-feed": SIGNED_IN,
    "GET /api/v1/me/calendar-feed": SIGNED_IN,
    "POST /api/v1/me/calendar-feed/rotate": SIGNED_IN,
    "DELETE /api/v1/me/signups/{session_id:int}": SIGNED_IN,
    "POST /api/v1/me/signups/{session_id:int}": SIGNED_IN,
    "GET /api/v1/me/certificate": SIGNED_IN,
    "GET /api/v1/me/certificate.pdf": SIGNED_IN,
    # /api/v1/meetings
    "GET /api/v1/meetings/mine": SIGNED_IN,
    "POST /api/v1/meetings/requests": SIGNED_IN,
    "POST /api/v1/meetings/requests/{meeting_id:int}/accept": MEETING_A_PARTIES,
    "POST /api/v1/meetings/requests/{meeting_id:int}/decline": MEETING_A_PARTIES,
    # /api/v1/messages (the service decides who may write to whom: tests/messages)
    "POST /api/v1/messages": SIGNED_IN,
    "POST /api/v1/messages/blocks": SIGNED_IN,
    "DELETE /api/v1/messages/blocks/{user_id:int}": SIGNED_IN,
    "GET /api/v1/messages/conversations": SIGNED_IN,
    "GET /api/v1/messages/conversations/{conversation_id:int}": SIGNED_IN,
    "POST /api/v1/messages/conversations/{conversation_id:int}/report": SIGNED_IN,
    "GET /api/v1/messages/unread": SIGNED_IN,
    # /api/v1/needs
    "GET /api/v1/needs": SIGNED_IN,
    "POST /api/v1/needs": SIGNED_IN,
    "GET /api/v1/needs/{need_id:int}": SIGNED_IN,
    "GET /api/v1/needs/{need_id:int}/suggestions": SIGNED_IN,
    # /api/v1/organizations
    "GET /api/v1/organizations": SIGNED_IN,
    "POST /api/v1/organizations": ORGANIZER,
    # /api/v1/polls
    "POST /api/v1/polls/{poll_id:int}/vote": SIGNED_IN,
    # /api/v1/questions
    "POST /api/v1/questions/{question_id:int}/moderate": SIGNED_IN,
    "DELETE /api/v1/questions/{question_id:int}/vote": REGISTERED_OR_ORGANIZER,
    "POST /api/v1/questions/{question_id:int}/vote": REGISTERED_OR_ORGANIZER,
    # /api/v1/registrations
    "GET /api/v1/registrations": ORGANIZER,
    "POST /api/v1/registrations/imports": ORGANIZER,
    "GET /api/v1/registrations/imports/{import_id:int}": ORGANIZER,
    "POST /api/v1/registrations/imports/{import_id:int}/confirm": ORGANIZER,
    "GET /api/v1/registrations/me": SIGNED_IN,
    "POST /api/v1/registrations/me": SIGNED_IN,
    "POST /api/v1/registrations/me/cancel": SIGNED_IN,
    "GET /api/v1/registrations/me/visa-letter": SIGNED_IN,  # one's own visa letter (404: none)
    "POST /api/v1/registrations/me/visa-letter": SIGNED_IN,  # refused unless confirmed in person
    # /api/v1/reports
    "GET /api/v1/reports/edition": ORGANIZER,
    # /api/v1/rooms
    "GET /api/v1/rooms": EVERYONE,
    # /api/v1/sessions
    "GET /api/v1/sessions": EVERYONE,
    "GET /api/v1/sessions/{session_id:int}": EVERYONE,
    "POST /api/v1/sessions/{session_id:int}/heartbeat": ORGANIZER,
    "GET /api/v1/sessions/{session_id:int}/polls": ORGANIZER,
    "POST /api/v1/sessions/{session_id:int}/polls": SIGNED_IN,
    "GET /api/v1/sessions/{session_id:int}/questions": ORGANIZER,
    "POST /api/v1/sessions/{session_id:int}/questions": SIGNED_IN,
    # /api/v1/solutions
    "GET /api/v1/solutions": EVERYONE,
    # /api/v1/tours
    "GET /api/v1/tours": EVERYONE,
    "DELETE /api/v1/tours/courses/{course_id:int}/booking": SIGNED_IN,
    "POST /api/v1/tours/courses/{course_id:int}/booking": SIGNED_IN,
    "GET /api/v1/tours/courses/{course_id:int}/manifest": ORGANIZER,
    "POST /api/v1/tours/{tour_id:int}/allocate": ORGANIZER,
    "PUT /api/v1/tours/{tour_id:int}/preferences": SIGNED_IN,
    # /api/v1/tracks
    "GET /api/v1/tracks": EVERYONE,
    # /api/v1/users
    "GET /api/v1/users": ORGANIZER,
    # /api/v1/visa-letters
    "GET /api/v1/visa-letters": ORGANIZER,
    "POST /api/v1/visa-letters/approve": ORGANIZER,
    "GET /api/v1/visa-letters/verify/{reference:str}": EVERYONE,
    "POST /api/v1/visa-letters/{letter_id:int}/revoke": ORGANIZER,
    # /badge
    "GET /badge": SIGNED_IN,
    # /calendar
    "GET /calendar": SIGNED_IN,
    "GET /calendar/feed/{token:str}/calendar.ics": EVERYONE,
    "GET /calendar/program.ics": EVERYONE,
    "POST /calendar/revoke": SIGNED_IN,
    "GET /calendar/revoked": SIGNED_IN,
    "POST /calendar/rotate": SIGNED_IN,
    # /certificate, /certificates
    "GET /certificate": SIGNED_IN,
    "GET /certificate/certificate.pdf": SIGNED_IN,
    "GET /certificates/verify/{code:str}": EVERYONE,
    # /checkin
    "GET /checkin": STAFF,
    "GET /checkin/sw.js": EVERYONE,  # the page's service worker: a script, no data
    # /delegation
    "GET /delegation": SIGNED_IN,
    "POST /delegation/invite": SIGNED_IN,
    "POST /delegation/members": SIGNED_IN,
    "POST /delegation/join": SIGNED_IN,
    "POST /delegation/join/withdraw": SIGNED_IN,
    "POST /delegation/requests/{request_id:int}/accept": SIGNED_IN,
    "POST /delegation/requests/{request_id:int}/decline": SIGNED_IN,
    "POST /delegation/start": SIGNED_IN,
    # /directory
    "GET /directory": CITY_OFFICIAL_OR_ORGANIZER,
    # /editions
    "GET /editions": EVERYONE,
    "GET /editions/{slug:str}": EVERYONE,
    # /exhibitor
    "GET /exhibitor": SIGNED_IN,
    "POST /exhibitor/apply": SIGNED_IN,
    "GET /exhibitor/invite/{token:str}": SIGNED_IN,
    "POST /exhibitor/invite/{token:str}": SIGNED_IN,
    "POST /exhibitor/invites/{invite_id:int}/revoke": EXHIBITOR_STAFF,
    "GET /exhibitor/leads": EXHIBITOR_STAFF,
    "POST /exhibitor/leads": EXHIBITOR_STAFF,
    "GET /exhibitor/leads.csv": EXHIBITOR_STAFF,
    "POST /exhibitor/leads/{lead_id:int}": EXHIBITOR_STAFF,
    "GET /exhibitor/logo": EXHIBITOR_STAFF,
    "POST /exhibitor/logo": EXHIBITOR_STAFF,
    "POST /exhibitor/profile": EXHIBITOR_STAFF,
    "POST /exhibitor/solutions": EXHIBITOR_STAFF,
    "GET /exhibitor/solutions/new": EXHIBITOR_STAFF,
    "GET /exhibitor/solutions/{solution_id:int}": EXHIBITOR_STAFF,
    "POST /exhibitor/solutions/{solution_id:int}": EXHIBITOR_STAFF,
    "GET /exhibitor/solutions/{solution_id:int}/brochure": EXHIBITOR_STAFF,
    "POST /exhibitor/solutions/{solution_id:int}/delete": EXHIBITOR_STAFF,
    "POST /exhibitor/staff": EXHIBITOR_STAFF,
    "POST /exhibitor/staff/{user_id:int}/remove": EXHIBITOR_STAFF,
    "POST /exhibitor/submit": EXHIBITOR_STAFF,
    # an exhibitor's own webhook (its admins; another exhibitor's delivery answers 404)
    "GET /exhibitor/webhook": EXHIBITOR_STAFF,
    "POST /exhibitor/webhook": EXHIBITOR_STAFF,
    "POST /exhibitor/webhook/delete": EXHIBITOR_STAFF,
    "POST /exhibitor/webhook/deliveries/{delivery_id:int}/send-again": EXHIBITOR_STAFF,
    "POST /exhibitor/webhook/secret": EXHIBITOR_STAFF,
    "POST /exhibitor/webhook/test": EXHIBITOR_STAFF,
    # /favicon.ico
    "GET /favicon.ico": EVERYONE,
    # /health
    "GET /health": EVERYONE,
    "HEAD /health": EVERYONE,
    "GET /health/live": EVERYONE,
    "GET /health/ready": EVERYONE,
    # /invite
    "GET /invite/{token:str}": EVERYONE,
    "POST /invite/{token:str}": SIGNED_IN,
    "POST /invite/{token:str}/join": SIGNED_IN,
    # /lang
    "GET /lang/{code:str}": EVERYONE,
    # /letters
    "GET /letters/verify": EVERYONE,  # a consulate verifies a visa letter: valid / revoked, nothing personal
    "GET /letters/verify/{reference:str}": EVERYONE,
    # /login
    "GET /login": EVERYONE,
    "POST /login": EVERYONE,
    # /logout
    "POST /logout": EVERYONE,
    "POST /logout/everywhere": EVERYONE,
    # /mail
    "GET /mail/preferences/{token:str}": EVERYONE,
    "POST /mail/preferences/{token:str}": EVERYONE,
    "GET /mail/unsubscribe/{token:str}": EVERYONE,
    "POST /mail/unsubscribe/{token:str}": EVERYONE,
    # /manifest.webmanifest
    "GET /manifest.webmanifest": EVERYONE,  # the installable app's manifest: names and icons, no data
    # /marketplace
    "GET /marketplace": EVERYONE,
    "GET /marketplace/exhibitors/{exhibitor_id:int}": EVERYONE,
    "GET /marketplace/exhibitors/{exhibitor_id:int}/logo": EVERYONE,
    "GET /marketplace/floor-plan": EVERYONE,
    "POST /marketplace/needs": CITY_OFFICIAL_OR_ORGANIZER,
    "GET /marketplace/needs/new": SIGNED_IN,
    "GET /marketplace/needs/{need_id:int}": SIGNED_IN,
    "POST /marketplace/needs/{need_id:int}": SIGNED_IN,
    "GET /marketplace/needs/{need_id:int}/edit": SIGNED_IN,
    "POST /marketplace/needs/{need_id:int}/status": SIGNED_IN,
    "GET /marketplace/solutions/{solution_id:int}": EVERYONE,
    "GET /marketplace/solutions/{solution_id:int}/brochure": EVERYONE,
    # /matching
    "GET /matching": SIGNED_IN,
    "POST /matching/blocks": SIGNED_IN,
    "POST /matching/blocks/{block_id:int}/delete": SIGNED_IN,
    "GET /matching/meetings/{meeting_id:int}": SIGNED_IN,
    "GET /matching/meetings/{meeting_id:int}/calendar.ics": SIGNED_IN,
    "GET /matching/meetings/{meeting_id:int}/join": SIGNED_IN,
    "POST /matching/meetings/{meeting_id:int}/{action:str}": SIGNED_IN,
    "POST /matching/notifications/read": SIGNED_IN,
    "GET /matching/people": CITY_OFFICIAL_OR_ORGANIZER,
    "GET /matching/people/{user_id:int}": CITY_OFFICIAL_OR_ORGANIZER,
    "POST /matching/people/{user_id:int}/request": SIGNED_IN,
    "GET /matching/profile": SIGNED_IN,
    "POST /matching/profile": MATCHING_PARTICIPANT,
    "GET /matching/schedule.pdf": SIGNED_IN,
    # /me
    "GET /me/scans": SIGNED_IN,
    "POST /me/scans/{lead_id:int}/withdraw": SIGNED_IN,
    # /my-agenda
    "GET /my-agenda": SIGNED_IN,
    "POST /my-agenda/notifications/read": SIGNED_IN,
    "GET /my-agenda/print": SIGNED_IN,
    # /messages
    "GET /messages": SIGNED_IN,
    "GET /messages/unread": SIGNED_IN,
    "GET /messages/with/{user_id:int}": SIGNED_IN,
    "POST /messages/with/{user_id:int}": SIGNED_IN,
    "POST /messages/with/{user_id:int}/{action:str}": SIGNED_IN,
    # /network
    "GET /network": EVERYONE,
    "GET /network/carry-over": SIGNED_IN,
    "POST /network/carry-over/{kind:str}/{item_id:int}": SIGNED_IN,
    "GET /network/go/{token:str}": SIGNED_IN,
    "GET /network/join": SIGNED_IN,
    "POST /network/join": SIGNED_IN,
    "POST /network/leave": SIGNED_IN,
    "GET /network/meetings": SIGNED_IN,
    "GET /network/meetings/{meeting_id:int}": SIGNED_IN,
    "GET /network/meetings/{meeting_id:int}/join": SIGNED_IN,
    "POST /network/meetings/{meeting_id:int}/{action:str}": SIGNED_IN,
    "GET /network/members/{user_id:int}": ORGANIZER,
    "POST /network/members/{user_id:int}/meet": ORGANIZER,
    # /now
    "GET /now": EVERYONE,
    "GET /now/live": EVERYONE,
    # /online
    "GET /online/go/{token:str}": EVERYONE,
    # /organizer
    "GET /organizer": ORGANIZER,
    "GET /organizer/audit": ORGANIZER,
    "GET /organizer/audit/export.csv": ORGANIZER,
    "GET /organizer/badges": ORGANIZER,
    "POST /organizer/badges/prints": ORGANIZER,
    "GET /organizer/badges/prints/{print_id:int}": ORGANIZER,
    "GET /organizer/badges/prints/{print_id:int}/badges.pdf": ORGANIZER,
    "POST /organizer/badges/reissue": ORGANIZER,
    "GET /organizer/campaigns": ORGANIZER,
    "GET /organizer/campaigns/new": ORGANIZER,
    "POST /organizer/campaigns/new": ORGANIZER,
    "POST /organizer/campaigns/preview": ORGANIZER,
    "POST /organizer/campaigns/reminders": ORGANIZER,
    "GET /organizer/campaigns/segment-size": ORGANIZER,
    "GET /organizer/campaigns/{campaign_id:int}": ORGANIZER,
    "POST /organizer/campaigns/{campaign_id:int}": ORGANIZER,
    "POST /organizer/campaigns/{campaign_id:int}/cancel": ORGANIZER,
    "GET /organizer/campaigns/{campaign_id:int}/progress": ORGANIZER,
    "GET /organizer/campaigns/{campaign_id:int}/recipients.csv": ORGANIZER,
    "POST /organizer/campaigns/{campaign_id:int}/resume": ORGANIZER,
    "POST /organizer/campaigns/{campaign_id:int}/send": ORGANIZER,
    "GET /organizer/certificates": ORGANIZER,
    "POST /organizer/certificates/mailings": ORGANIZER,
    "GET /organizer/certificates/mailings/{mailing_id:int}": ORGANIZER,
    "POST /organizer/certificates/revoke": ORGANIZER,
    "POST /organizer/certificates/settings": ORGANIZER,
    "GET /api/v1/organizer/certificates": ORGANIZER,
    "POST /api/v1/organizer/certificates/mailings": ORGANIZER,
    "GET /api/v1/organizer/certificates/mailings/{mailing_id:int}": ORGANIZER,
    "PUT /api/v1/organizer/certificates/settings": ORGANIZER,
    "POST /api/v1/organizer/certificates/{reference:str}/revoke": ORGANIZER,
    "GET /organizer/checkin": STAFF,
    "GET /organizer/checkin/stream": STAFF,
    "GET /organizer/dashboard/figures": ORGANIZER,
    "GET /organizer/editions": ORGANIZER,
    "GET /organizer/editions/new": ORGANIZER,
    "POST /organizer/editions/new": ORGANIZER,
    "GET /organizer/editions/{slug:str}": ORGANIZER,
    "POST /organizer/editions/{slug:str}": ORGANIZER,
    "POST /organizer/editions/{slug:str}/current": ORGANIZER,
    "GET /organizer/editions/{slug:str}/next": ORGANIZER,
    "POST /organizer/editions/{slug:str}/next": ORGANIZER,
    "GET /organizer/editions/{slug:str}/prepared": ORGANIZER,
    "GET /organizer/exhibitors": ORGANIZER,
    "GET /organizer/exhibitors/{exhibitor_id:int}": ORGANIZER,
    "POST /organizer/exhibitors/{exhibitor_id:int}/booth": ORGANIZER,
    "POST /organizer/exhibitors/{exhibitor_id:int}/review": ORGANIZER,
    "GET /organizer/matching": ORGANIZER,
    "GET /organizer/matching/meetings": ORGANIZER,
    "POST /organizer/matching/meetings/{meeting_id:int}/{action:str}": ORGANIZER,
    "GET /organizer/matching/runs/{run_id:int}": ORGANIZER,
    "POST /organizer/matching/schedule": ORGANIZER,
    "POST /organizer/matching/sessions": ORGANIZER,
    "GET /organizer/matching/sessions/{session_id:int}": ORGANIZER,
    "POST /organizer/matching/sessions/{session_id:int}": ORGANIZER,
    "POST /organizer/matching/sessions/{session_id:int}/delete": ORGANIZER,
    "POST /organizer/matching/settings": ORGANIZER,
    "GET /organizer/matching/table-plan.pdf": ORGANIZER,
    "GET /organizer/messages": ORGANIZER,
    "GET /organizer/messages/{conversation_id:int}": ORGANIZER,
    "GET /organizer/network": ORGANIZER,
    "GET /organizer/network/members.csv": ORGANIZER,
    "GET /organizer/online": ORGANIZER,
    "POST /organizer/online/announcements": ORGANIZER,
    "POST /organizer/online/announcements/{announcement_id:int}/withdraw": ORGANIZER,
    "GET /organizer/online/sessions/{session_id:int}": ORGANIZER,
    "GET /organizer/online/sessions/{session_id:int}/attendance.csv": ORGANIZER,
    "POST /organizer/online/sessions/{session_id:int}/settings": ORGANIZER,
    "POST /organizer/online/sessions/{session_id:int}/streams": ORGANIZER,
    "GET /organizer/organizations": ORGANIZER,
    "POST /organizer/organizations": ORGANIZER,
    "POST /organizer/organizations/kinds": ORGANIZER,
    "GET /organizer/outbox": ORGANIZER,
    "GET /organizer/outbox/{message_id:int}": ORGANIZER,
    "POST /organizer/outbox/{message_id:int}/retry": ORGANIZER,
    "GET /organizer/privacy": ORGANIZER,
    "POST /organizer/privacy/apply": ORGANIZER,
    "POST /organizer/privacy/export": ORGANIZER,
    "POST /organizer/privacy/notices": ORGANIZER,
    "GET /organizer/privacy/notices/{version:str}/not-accepted.csv": ORGANIZER,
    "POST /organizer/privacy/rules": ORGANIZER,
    "GET /organizer/feedback": ORGANIZER,
    "POST /organizer/feedback/{feedback_id:int}": ORGANIZER,
    "GET /sessions/{session_id:int}/feedback": SIGNED_IN,
    "POST /sessions/{session_id:int}/feedback": SIGNED_IN,
    "GET /speaker/feedback": SIGNED_IN,
    "GET /organizer/programme": ORGANIZER,
    "POST /organizer/programme/publish": ORGANIZER,
    "POST /organizer/programme/rooms": ORGANIZER,
    "POST /organizer/programme/rooms/{room_id:int}/delete": ORGANIZER,
    "GET /organizer/programme/sessions/new": ORGANIZER,
    "POST /organizer/programme/sessions/new": ORGANIZER,
    "GET /organizer/programme/sessions/{session_id:int}": ORGANIZER,
    "POST /organizer/programme/sessions/{session_id:int}": ORGANIZER,
    "POST /organizer/programme/sessions/{session_id:int}/delete": ORGANIZER,
    "POST /organizer/programme/sessions/{session_id:int}/materials": ORGANIZER,
    "POST /organizer/programme/sessions/{session_id:int}/materials/{material_id:int}/consent": ORGANIZER,
    "POST /organizer/programme/sessions/{session_id:int}/materials/{material_id:int}/delete": ORGANIZER,
    "GET /organizer/programme/speakers": ORGANIZER,
    "GET /organizer/programme/speakers/new": ORGANIZER,
    "POST /organizer/programme/speakers/new": ORGANIZER,
    "GET /organizer/programme/speakers/{speaker_id:int}": ORGANIZER,
    "POST /organizer/programme/speakers/{speaker_id:int}": ORGANIZER,
    "POST /organizer/programme/speakers/{speaker_id:int}/delete": ORGANIZER,
    "POST /organizer/programme/speakers/{speaker_id:int}/photo": ORGANIZER,
    "GET /organizer/programme/tracks": ORGANIZER,
    "POST /organizer/programme/tracks": ORGANIZER,
    "POST /organizer/programme/tracks/{track_id:int}/delete": ORGANIZER,
    "GET /organizer/registration-settings": ORGANIZER,
    "POST /organizer/registration-settings": ORGANIZER,
    "POST /organizer/registration-settings/codes": ORGANIZER,
    "POST /organizer/registration-settings/dates": ORGANIZER,
    "POST /organizer/registration-settings/questions": ORGANIZER,
    "POST /organizer/registration-settings/questions/{question_id:int}/delete": ORGANIZER,
    "POST /organizer/registration-settings/quotas": ORGANIZER,
    "GET /organizer/register-person": ORGANIZER,
    "GET /organizer/registrations/import": ORGANIZER,
    "POST /organizer/registrations/import": ORGANIZER,
    "GET /organizer/registrations/import/template.csv": ORGANIZER,
    "GET /organizer/registrations/import/{batch_id:int}": ORGANIZER,
    "GET /organizer/registrations/import/{batch_id:int}/progress": ORGANIZER,
    "POST /organizer/registrations/import/{batch_id:int}/confirm": ORGANIZER,
    "POST /organizer/register-person": ORGANIZER,
    "GET /organizer/registrations": ORGANIZER,
    "POST /organizer/registrations/confirm": ORGANIZER,
    "POST /organizer/registrations/decide": ORGANIZER,
    "GET /organizer/registrations/export.csv": ORGANIZER,
    "GET /organizer/reports/edition": ORGANIZER,
    "GET /organizer/reports/edition.csv": ORGANIZER,
    "GET /organizer/reports/edition.pdf": ORGANIZER,
    "GET /organizer/reports/edition.xlsx": ORGANIZER,
    "POST /organizer/reports/recorded": ORGANIZER,
    "GET /organizer/tours": ORGANIZER,
    "POST /organizer/tours/courses/{course_id:int}/add": ORGANIZER,
    "GET /organizer/tours/courses/{course_id:int}/manifest": ORGANIZER,
    "GET /organizer/tours/courses/{course_id:int}/manifest.csv": ORGANIZER,
    "GET /organizer/tours/courses/{course_id:int}/manifest.pdf": ORGANIZER,
    "GET /organizer/tours/courses/{course_id:int}/roll-call": STAFF,
    "POST /organizer/tours/courses/{course_id:int}/roll-call/{user_id:int}": STAFF,
    "GET /organizer/tours/new": ORGANIZER,
    "POST /organizer/tours/new": ORGANIZER,
    "GET /organizer/tours/roll-calls": STAFF,
    "POST /organizer/tours/{tour_id:int}/allocate": ORGANIZER,
    "GET /organizer/tours/{tour_id:int}/courses/new": ORGANIZER,
    "POST /organizer/tours/{tour_id:int}/courses/new": ORGANIZER,
    "GET /organizer/tours/{tour_id:int}/courses/{course_id:int}/edit": ORGANIZER,
    "POST /organizer/tours/{tour_id:int}/courses/{course_id:int}/edit": ORGANIZER,
    "GET /organizer/tours/{tour_id:int}/edit": ORGANIZER,
    "POST /organizer/tours/{tour_id:int}/edit": ORGANIZER,
    "GET /organizer/users": ORGANIZER,
    "GET /organizer/visa-letters": ORGANIZER,
    "POST /organizer/visa-letters/approve": ORGANIZER,
    "POST /organizer/visa-letters/{letter_id:int}/revoke": ORGANIZER,
    "POST /organizer/users/{user_id:int}/role": ORGANIZER,
    "GET /organizer/webhooks": ORGANIZER,
    "POST /organizer/webhooks": ORGANIZER,
    "POST /organizer/webhooks/deliveries/{delivery_id:int}/send-again": ORGANIZER,
    "GET /organizer/webhooks/{endpoint_id:int}": ORGANIZER,
    "POST /organizer/webhooks/{endpoint_id:int}": ORGANIZER,
    "POST /organizer/webhooks/{endpoint_id:int}/delete": ORGANIZER,
    "POST /organizer/webhooks/{endpoint_id:int}/secret": ORGANIZER,
    "POST /organizer/webhooks/{endpoint_id:int}/test": ORGANIZER,
    # /password
    "GET /password/forgot": EVERYONE,
    "POST /password/forgot": EVERYONE,
    "GET /password/reset/{token:str}": EVERYONE,
    "POST /password/reset/{token:str}": EVERYONE,
    # /polls
    "POST /polls/{poll_id:int}/status": ORGANIZER,
    "POST /polls/{poll_id:int}/vote": CITY_OFFICIAL_OR_ORGANIZER,
    # /privacy
    "GET /privacy": EVERYONE,
    "POST /privacy/accept": SIGNED_IN,
    "GET /privacy/banner": EVERYONE,
    "GET /privacy/versions/{version:str}": EVERYONE,
    # /programme
    "GET /programme/changes": EVERYONE,
    "GET /programme/tracks.css": EVERYONE,
    # /register
    "GET /register": SIGNED_IN,
    "POST /register": SIGNED_IN,
    # /registration
    "GET /registration": SIGNED_IN,
    "POST /registration": SIGNED_IN,
    "POST /registration/cancel": SIGNED_IN,
    "POST /registration/consents": SIGNED_IN,
    "GET /registration/letter.pdf": SIGNED_IN,
    "POST /registration/mode": SIGNED_IN,
    "GET /registration/visa": SIGNED_IN,
    "POST /registration/visa": SIGNED_IN,
    # The person's own, their delegation head's, or any for organizers (the service decides: 404 otherwise).
    "GET /registration/visa/{reference:str}/letter.pdf": SIGNED_IN,
    # /schedule.json
    "GET /schedule.json": EVERYONE,
    # /schedule.xml
    "GET /schedule.xml": EVERYONE,
    # /schema
    "GET /schema": EVERYONE,
    "GET /schema/openapi.json": EVERYONE,
    "GET /schema/{path:str}": EVERYONE,
    # /sessions
    "GET /sessions/{session_id:int}": EVERYONE,
    "GET /sessions/{session_id:int}/calendar.ics": EVERYONE,
    "POST /sessions/{session_id:int}/cancel-signup": SIGNED_IN,
    "GET /sessions/{session_id:int}/consent": ORGANIZER,
    "POST /sessions/{session_id:int}/consent": ORGANIZER,
    "GET /sessions/{session_id:int}/live": ORGANIZER,
    "GET /sessions/{session_id:int}/materials/{material_id:int}": EVERYONE,
    "POST /sessions/{session_id:int}/polls": ORGANIZER,
    "GET /sessions/{session_id:int}/qa": SIGNED_IN,
    "GET /sessions/{session_id:int}/qa/moderate": ORGANIZER,
    "GET /sessions/{session_id:int}/qa/speaker": ORGANIZER,
    "POST /sessions/{session_id:int}/questions": ORGANIZER,
    "POST /sessions/{session_id:int}/questions/{question_id:int}/moderate": ORGANIZER,
    "POST /sessions/{session_id:int}/remove": SIGNED_IN,
    "POST /sessions/{session_id:int}/save": SIGNED_IN,
    "POST /sessions/{session_id:int}/signup": SIGNED_IN,
    "GET /sessions/{session_id:int}/watch": SIGNED_IN,
    "GET /sessions/{session_id:int}/watch/open": ORGANIZER,
    # /signup
    "GET /signup": EVERYONE,
    "POST /signup": EVERYONE,
    # /speakers
    "GET /speakers": EVERYONE,
    "GET /speakers/{slug:str}": EVERYONE,
    "GET /speakers/{slug:str}/photo": EVERYONE,
    # /static
    "GET /static/{path:path}": EVERYONE,
    # /sw.js
    "GET /sw.js": EVERYONE,  # the site's service worker: a script, no data
    # /tours
    "GET /tours": EVERYONE,
    "POST /tours/courses/{course_id:int}/book": SIGNED_IN,
    "GET /tours/courses/{course_id:int}/calendar.ics": EVERYONE,
    "POST /tours/courses/{course_id:int}/cancel": SIGNED_IN,
    "POST /tours/courses/{course_id:int}/id-document": SIGNED_IN,
    "POST /tours/{tour_id:int}/preferences": SIGNED_IN,
    # /verify
    "GET /verify/resend": EVERYONE,
    "POST /verify/resend": EVERYONE,
    "GET /verify/{token:str}": EVERYONE,
}

# Minimal JSON bodies for API calls whose body is read before the handler decides who may use it.
JSON_BODIES = {"POST /api/v1/leads": {"code": "ABCD-EFGH"}}
# These start a background job (badge sheets, the meeting scheduler) that would outlive the request and
# hold the app's shutdown: requested only by roles that must be refused. Their allowed use is tested in
# tests/badges, tests/matching and by the API fuzzing.
STARTS_A_JOB = {
    "POST /organizer/badges/prints",
    "POST /organizer/certificates/mailings",
    "POST /api/v1/organizer/certificates/mailings",
    "POST /api/v1/badges/prints",
    "POST /organizer/matching/schedule",
    "POST /api/v1/matching/schedule",
}
# PDFs take a second or more each: an allowed role renders them only where named (None: only refusals are
# checked here; tests/matching, tests/reports and tests/tours render them). Refused roles always ask.
RENDERED_BY = {
    "GET /api/v1/me/certificate.pdf": None,  # tests/certificates renders it
    "GET /certificate/certificate.pdf": None,
    "GET /api/v1/me/badge.pdf": "delegate",
    "GET /matching/schedule.pdf": "delegate",
    "GET /registration/letter.pdf": "delegate",
    "GET /organizer/matching/table-plan.pdf": None,
    "GET /organizer/reports/edition.pdf": None,
    "GET /organizer/tours/courses/{course_id:int}/manifest.pdf": None,
}
# These end the client's own session or account: requested last.
SELF_ENDING = {"POST /logout", "POST /logout/everywhere", "POST /account/delete"}


def test_every_route_has_an_entry(tmp_path) -> None:
    from ascc.app import create_app

    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'never-opened.db'}"))
    served = {f"{method} {path}" for method, path in all_operations(app)}
    assert sorted(served - set(ACCESS)) == [], "routes without an entry in ACCESS: say who may use them"
    assert sorted(set(ACCESS) - served) == [], "entries for routes the app no longer serves"


def test_organizer_areas_are_for_organizers_or_staff() -> None:
    """/organizer/** and organizer-guarded API routes never open to participants by a slip in the table."""
    for operation, roles in ACCESS.items():
        path = operation.split(" ", 1)[1]
        if path.startswith("/organizer"):
            assert roles <= STAFF, operation


def _denied(role: str, status: int, location: str) -> bool:
    if status in (401, 403, 404):
        return True
    return role == "anonymous" and status == 303 and location.startswith("/login")


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_gets_exactly_its_routes(role: str, demo_template: Demo, tmp_path) -> None:
    demo = copy_demo(demo_template, tmp_path)  # each role on a fresh copy: no role's writes reach another
    wrong: list[str] = []
    async with app_client(demo.settings()) as client:
        if role != "anonymous":
            await signed_in(client, demo, role)
        else:
            await client.get("/login")  # the CSRF cookie, as a browser would have it
        operations = sorted(all_operations(client.app), key=lambda op: f"{op[0]} {op[1]}" in SELF_ENDING)
        for method, path in operations:
            operation = f"{method} {path}"
            allowed = role in ACCESS.get(operation, frozenset())
            if allowed and (operation in STARTS_A_JOB or RENDERED_BY.get(operation, role) != role):
                continue
            url = fill(path, demo)
            api = path.startswith("/api/")
            headers = demo.bearer(role) if api and role != "anonymous" else csrf_header(client)
            if path in STREAMS:
                cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
                status, location = await first_status(client.app, method, url, {**headers, "cookie": cookie})
            else:
                body = {}
                if operation in JSON_BODIES:
                    body["json"] = JSON_BODIES[operation]
                elif method in ("POST", "PUT") and not api:
                    body["data"] = {}
                response = await client.request(method, url, headers=headers, follow_redirects=False, **body)
                status, location = response.status_code, response.headers.get("location", "")
            if allowed and status >= 500:
                wrong.append(f"{operation} ({url}): {status} for {role}, who may use it")
            elif not allowed and not _denied(role, status, location):
                wrong.append(f"{operation} ({url}): {status} {location} for {role}, who may not")
    assert wrong == []
