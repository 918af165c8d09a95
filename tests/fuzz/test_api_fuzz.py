"""Schemathesis over every operation of the generated OpenAPI spec: data the spec allows and
data it forbids, each case sent as every role that may call its operation (anonymous too, for
public ones). No 5xx; every response (problems included) as the spec documents it; and every
schema-violating request refused.

Runs in CI (`make fuzz`; .ci/run sets FUZZ_EXAMPLES=200), on its own migrated SQLite database
with a product in stock and users of its own for each operation. Roles that may not call an
operation are left out: their refusal, 401 or 403 whatever the data, is
tests/core/test_access.py's. Choices and timings: docs/fuzzing.md.
"""

import functools
import os
import tempfile

import pytest
import schemathesis
from flask_migrate import upgrade
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

from core.app import create_app
from core.db import unit_of_work
from core.identity.access import ACCESS_ATTRIBUTE
from core.identity.models import ROLES
from tests.conftest import TEST_CONFIG
from tests.factories.identity import make_user
from tests.factories.shop import make_product

pytestmark = pytest.mark.fuzz
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))

_folder = tempfile.mkdtemp(prefix="rxloop-fuzz-")
app = create_app({**TEST_CONFIG, "DATABASE_URL": f"sqlite:///{_folder}/fuzz.sqlite3",
                  "LOGIN_RATE_LIMIT": "100000 per minute"})
with app.app_context():
    upgrade()
    with unit_of_work(app) as _session:
        make_product(_session)

# Who may call each operation, as the endpoints declare it (tests/core/test_access.py).
CALLERS = {}
for _rule in app.url_map.iter_rules():
    _access = getattr(app.view_functions[_rule.endpoint], ACCESS_ATTRIBUTE, None)
    if _access is None:
        continue
    _callers = {("public",): ["anonymous", *ROLES], ("any-user",): list(ROLES)}.get(_access, list(_access))
    for _method in _rule.methods - {"HEAD", "OPTIONS"}:
        CALLERS[(_method, _rule.rule.replace("<", "{").replace(">", "}"))] = _callers


@functools.cache
def headers(operation: str, caller: str) -> dict:
    """Each operation's own users: what fuzzing one operation does to an account (its profile,
    its consultations) cannot decide what another operation's cases meet. With shared users a
    lenient boolean went unnoticed: by the time its case ran, the patient's state refused it."""
    if caller == "anonymous":
        return {}
    with app.app_context(), unit_of_work(app) as session:
        return {"Authorization": f"Bearer {make_user(session, role=caller)[1]}"}


schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
# Both kinds of data, always: schemathesis's default today, stated so a new default cannot drop
# the negative half. The bearer token is ours to send (below), not a generated parameter: a case
# "missing its Authorization header" would otherwise count as negative data we then made valid.
schema.config.generation.update(modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                                with_security_parameters=False)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_within_its_spec(case):
    # Schema-valid is not always acceptable: an unknown drug id, a birth date in the future or
    # a forged cursor are refused with a documented 422, which is the contract, not a bug.
    # Schema-violating data must always be refused (negative_data_rejection, on by default).
    for caller in CALLERS[(case.operation.method.upper(), case.operation.path)]:
        case.call_and_validate(headers={**(case.headers or {}), **headers(case.operation.label, caller)},
                               excluded_checks=[positive_data_acceptance])


def test_negative_data_is_generated_and_its_rejection_checked():
    assert set(schema.config.generation.modes) == {GenerationMode.POSITIVE, GenerationMode.NEGATIVE}
    assert schema.config.checks.negative_data_rejection.enabled


def test_every_operation_has_a_caller():
    operations = {(op.method.upper(), op.path) for op in (r.ok() for r in schema.get_all_operations())}
    assert operations and operations <= set(CALLERS)
