"""A request is one unit of work: a refusal rolls back what the handler already wrote, and a
constraint nobody expected is our error (500), never passed off as the client's conflict."""

import pytest
from sqlalchemy import insert, select

from core import audit
from core.app import create_app
from core.audit import AuditEntry
from core.db import current_session, utcnow
from core.errors import Conflict
from shop.models import WebhookEvent
from tests.conftest import TEST_CONFIG
from tests.support.events import TestEvent


@pytest.fixture
def app_with_routes(app, database_url):
    app = create_app({**TEST_CONFIG, "DATABASE_URL": database_url})

    @app.route("/write-then-refuse", methods=["POST"])
    def write_then_refuse():
        audit.record(session=current_session(), actor_id=None, action=TestEvent.WRITTEN_THEN_REFUSED,
                     subject_type="test", subject_id="t-1", detail={})
        current_session().flush()
        raise Conflict("Refused after writing.")

    @app.route("/duplicate-key", methods=["POST"])
    def duplicate_key():
        row = {"id": "evt_same", "type": "test", "outcome": "received", "received_at": utcnow()}
        current_session().execute(insert(WebhookEvent).values(row))
        current_session().execute(insert(WebhookEvent).values(row))  # no race anyone expects here
        return {}

    write_then_refuse._rxloop_access = duplicate_key._rxloop_access = ("public",)
    yield app
    app.extensions["rxloop.db"].engine.dispose()


def test_a_refusal_after_a_write_leaves_nothing_written(app_with_routes):
    response = app_with_routes.test_client().post("/write-then-refuse")
    assert (response.status_code, response.json["type"]) == (409, "/problems/conflict")
    with app_with_routes.app_context():
        session = app_with_routes.extensions["rxloop.db"].sessionmaker()
        written = session.scalars(select(AuditEntry).where(AuditEntry.action == "test.written_then_refused")).all()
        session.close()
    assert written == []


def test_an_unexpected_constraint_violation_is_an_internal_error_not_a_conflict(app_with_routes):
    response = app_with_routes.test_client().post("/duplicate-key")
    assert (response.status_code, response.json["type"]) == (500, "/problems/internal-error")
