"""What the audit log knows how to name: the actions organizers and exhibitors take and what they act on.

Pure: no web framework and no database. An action is "<domain>.<verb>"; every one listed here has a label
in both languages (`audit.action.<action>`), and the log's filters offer them. Other domains may record
actions not (yet) listed: they are shown by their name and can still be filtered once they are in the log.
"""

from __future__ import annotations

ACTIONS: tuple[str, ...] = (
    # registration
    "registration.approve",
    "registration.reject",
    "registration.bulk_approve",
    "registration.bulk_reject",
    "registration.cancel",
    "registration.bulk_cancel",
    "registration.reopen",
    "registration.bulk_reopen",
    "registration.settings",
    "registration.question_add",
    "registration.question_delete",
    "registration.code_create",
    "registration.quota_set",
    "registration.register_for",
    # programme
    "programme.session_create",
    "programme.session_update",
    "programme.session_cancel",
    "programme.session_delete",
    "programme.publish",
    "programme.room_save",
    "programme.room_delete",
    "programme.track_save",
    "programme.track_delete",
    "programme.speaker_save",
    "programme.speaker_photo",
    "programme.speaker_delete",
    "programme.material_add",
    "programme.material_consent",
    "programme.material_delete",
    # site visits
    "tours.tour_save",
    "tours.course_save",
    "tours.allocate",
    "tours.book",
    # marketplace
    "exhibitor.create",
    "exhibitor.profile",
    "exhibitor.logo",
    "exhibitor.submit",
    "exhibitor.approve",
    "exhibitor.send_back",
    "exhibitor.booth",
    "exhibitor.staff_invite",
    "exhibitor.staff_remove",
    "exhibitor.invite_revoke",
    "exhibitor.solution_create",
    "exhibitor.solution_update",
    "exhibitor.solution_delete",
    "exhibitor.lead_note",
    # business matching
    "matching.settings",
    "matching.session_save",
    "matching.session_delete",
    "matching.schedule_run",
    "matching.meeting",
    # badges and check-in
    "badges.print",
    "badges.reissue",
    "checkin.manual",
    "checkin.roll_call",
    # online
    "online.streams",
    "online.settings",
    "online.announce",
    "online.withdraw",
    "online.moderate",
    # foundation
    "edition.create",
    "edition.update",
    "edition.set_current",
    "edition.timeline",
    "user.role",
    "organization.create",
    "organization.kind",
    "outbox.retry",
    # the cockpit's own domains (recorded by their services)
    "report.record_figures",
    "campaigns.create",
    "campaigns.edit",
    "campaigns.send",
    "campaigns.cancel",
    "campaigns.resume",
    "campaigns.reminders",
    "privacy.rules_changed",
    "privacy.retention_applied",
    "privacy.notice_published",
    "privacy.export",
    "network.bring_need",
    "network.bring_solution",
    "edition.cloned",
)

TARGET_TYPES: tuple[str, ...] = (
    "registration",
    "registration_settings",
    "question",
    "invitation_code",
    "quota",
    "session",
    "release",
    "room",
    "track",
    "speaker",
    "material",
    "tour",
    "course",
    "booking",
    "exhibitor",
    "solution",
    "exhibitor_invite",
    "staff",
    "lead",
    "matching_settings",
    "matching_session",
    "scheduler_run",
    "meeting",
    "badge",
    "badge_print",
    "check_in",
    "qa_question",
    "announcement",
    "edition",
    "user",
    "organization",
    "outbox_message",
    "recorded_edition",
    "campaign",
    "reminder_settings",
    "retention_rule",
    "privacy_notice",
    "city_need",
)


def domain_of(action: str) -> str:
    return action.partition(".")[0]


DOMAINS: tuple[str, ...] = tuple(dict.fromkeys(domain_of(a) for a in ACTIONS))
