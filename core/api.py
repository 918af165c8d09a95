"""HTTP endpoints for operations: liveness, readiness and the audit log."""

from flask import current_app
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import text

from core import audit, signing
from core.db import current_session
from core.errors import ServiceUnavailable
from core.identity.access import public, requires
from core.schemas import PageArgsSchema, page_of
from core.i18n import _

blp = Blueprint("operations", __name__, description="Health and audit")


class HealthSchema(Schema):
    status = fields.String(required=True)


class AuditEntrySchema(Schema):
    seq = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor = fields.String(attribute="actor_id", allow_none=True)
    action = fields.String(required=True)
    subject = fields.Function(lambda e: f"{e.subject_type}:{e.subject_id}")
    subject_type = fields.String()
    subject_id = fields.String()
    patient_id = fields.String(allow_none=True)
    detail = fields.Dict()
    hash = fields.String(metadata={"description": "sha256 of the entry's own content"})


class AuditQuerySchema(PageArgsSchema):
    actor = fields.String()
    subject = fields.String(metadata={"description": "a subject id, or `type:id`"})
    action = fields.String()


class AuditVerifySchema(Schema):
    ok = fields.Boolean(required=True)
    entries = fields.Integer(required=True)
    first_bad = fields.Integer(allow_none=True)
    reason = fields.String(allow_none=True)
    sealed = fields.Integer(metadata={"description": "the highest sealed seq"})
    checkpoint = fields.Integer(allow_none=True, metadata={"description": "the latest checkpoint's seq"})


class AuditCheckpointSchema(Schema):
    id = fields.Integer(required=True)
    seq = fields.Integer(required=True)
    hash = fields.String(required=True)
    at = fields.DateTime(required=True)
    key_id = fields.String(required=True)
    signature = fields.String(required=True)


@blp.route("/healthz", methods=["GET"])
@public
@blp.response(200, HealthSchema)
def healthz():
    """Liveness: the process answers.

    Always `{"status": "ok"}` while the server runs; it touches nothing else."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
@public
@blp.response(200, HealthSchema)
def readyz():
    """Readiness: the database answers.

    `{"status": "ready"}` when a query succeeds; 503 `service-unavailable` when the database cannot be reached."""
    try:
        current_session().execute(text("SELECT 1"))
    except Exception:
        raise ServiceUnavailable(_("The database is not reachable.")) from None
    return {"status": "ready"}


@blp.route("/api/v1/audit", methods=["GET"])
@requires("admin")
@blp.arguments(AuditQuerySchema, location="query")
@blp.response(200, page_of(AuditEntrySchema, "AuditPage"))
def list_audit(args):
    """List audit log entries, oldest first.

    The append-only, hash-chained log of every change and every staff read of patient data; filter by
    `actor`, `subject` (an id or `type:id`) and `action`. Admins only."""
    page = audit.list_entries(session=current_session(), **args)
    return {"items": page.items, "next_cursor": page.next_cursor}


@blp.route("/api/v1/audit/verify", methods=["GET"])
@requires("admin")
@blp.response(200, AuditVerifySchema)
def verify_audit():
    """Recompute the audit log's hash chain.

    `ok` is false and `first_bad` names the first entry whose hash or predecessor does not match when
    anything was altered; `sealed` and `checkpoint` say how far the signed checkpoints reach."""
    return audit.verify(session=current_session(), public_key=signing.for_app(current_app).public_key())


@blp.route("/api/v1/audit/checkpoints", methods=["GET"])
@requires("admin")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, page_of(AuditCheckpointSchema, "AuditCheckpointPage"))
def list_audit_checkpoints(args):
    """List the signed checkpoints of the sealed chain, newest first.

    Each checkpoint signs the hash of the chain up to its `seq` with the server's Ed25519 key
    (`key_id`): keep copies outside the database to prove later that nothing before them changed."""
    page = audit.list_checkpoints(session=current_session(), **args)
    return {"items": page.items, "next_cursor": page.next_cursor}
