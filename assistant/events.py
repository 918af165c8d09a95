"""The assistant's audit events, by name."""

from core.audit import AuditEvent


class AssistantEvent(AuditEvent):
    SUGGESTION_MADE = "assistant.suggestion_made"
    SUGGESTION_READ = "assistant.suggestion_read"
    SUGGESTION_DECIDED = "assistant.suggestion_decided"
    REPORT_READ = "assistant.report_read"
