"""Audit events that only tests write."""

from core.audit import AuditEvent


class TestEvent(AuditEvent):
    __test__ = False  # not a test class, whatever pytest thinks of the name

    WRITTEN = "test.event"
    NEVER_COMMITTED = "test.never"
    RACED = "race.write"
    WRITTEN_THEN_REFUSED = "test.written_then_refused"
