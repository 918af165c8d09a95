"""FHIR AuditEvent: the audit trail's entries, for administrators (as GET /api/v1/audit)."""

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.audit import AuditEntry
from core.errors import NotFound
from core.i18n import _
from core.identity.models import User
from core.pagination import paginate
from fhir_api.directory import PHARMACY_ID
from fhir_api.search import Query
from fhir_api.terminology import AUDIT_ACTION, USER, instant

AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
# FHIR AuditEvent.outcome: 0 success, 4 minor failure (a refused read).
SUCCESS, REFUSED = "0", "4"


def _action(action: str) -> str:
    """FHIR's C/R/U/D/E from rxloop's event name."""
    verb = action.rsplit(".", 1)[-1]
    if verb.endswith("read") or verb.endswith("_search"):
        return "R"
    if verb in ("registered", "drafted", "created", "placed") or verb.endswith("_requested"):
        return "C"
    return "U"


def audit_event_of(entry: AuditEntry) -> dict:
    agent = ({"who": {"identifier": {"system": USER, "value": entry.actor_id}}, "requestor": True}
             if entry.actor_id else {"who": {"display": "rxloop (a scheduled job)"}, "requestor": False})
    if entry.detail.get("role"):
        agent["role"] = [{"text": entry.detail["role"]}]
    entities = [{"what": {"identifier": {"system": f"urn:rxloop:{entry.subject_type}", "value": entry.subject_id}}}]
    if entry.patient_id:
        entities.append({"what": {"reference": f"Patient/{entry.patient_id}"},
                         "role": {"system": "http://terminology.hl7.org/CodeSystem/object-role", "code": "1",
                                  "display": "Patient"}})
    return {"resourceType": "AuditEvent", "id": str(entry.seq),
            "type": {"system": AUDIT_EVENT_TYPE, "code": "rest", "display": "RESTful Operation"},
            "subtype": [{"system": AUDIT_ACTION, "code": entry.action}],
            "action": _action(entry.action), "recorded": instant(entry.at),
            "outcome": REFUSED if entry.detail.get("refused") else SUCCESS,
            "agent": [agent], "source": {"observer": {"reference": f"Organization/{PHARMACY_ID}"}},
            "entity": entities}


def audit_event(*, session: Session, user: User, event_id: str) -> dict:
    entry = (session.get(AuditEntry, int(event_id)) if event_id.isascii() and event_id.isdigit() and len(event_id) < 19
             else None)
    if entry is None:
        raise NotFound(_("No such AuditEvent."))
    return audit_event_of(entry)


def search(*, session: Session, user: User, query: Query) -> tuple[list[dict], str | None]:
    """Newest first; `entity` matches the entry's subject or its patient, `agent` its actor."""
    stmt = select(AuditEntry)
    if (entities := query.any_of("entity")) is not None:
        stmt = stmt.where(or_(AuditEntry.subject_id.in_(entities), AuditEntry.patient_id.in_(entities)))
    if (agents := query.any_of("agent")) is not None:
        stmt = stmt.where(AuditEntry.actor_id.in_(agents))
    for moment in query.dates("date"):
        stmt = stmt.where(moment.clause(AuditEntry.at))
    page = paginate(session, stmt, keys=(AuditEntry.seq,), limit=query.count, cursor=query.cursor, descending=True)
    return [audit_event_of(entry) for entry in page.items], page.next_cursor
