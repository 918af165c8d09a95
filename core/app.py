"""The composition root: create_app() wires config, database, extensions and blueprints."""

import http
import logging

from flask import Flask
from flask_migrate import Migrate
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.middleware.proxy_fix import ProxyFix

from core import config as settings
from core import admission, docs_page, errors, headers, i18n, jobs, logs, openapi, problem_pages, ratelimit
from core import schema_docs  # noqa: F401 (the fields' descriptions in the OpenAPI document)
from core.db import Database, finish_request_session, units_committed
from core.encryption import keys as data_keys
from core.identity.access import ACCESS_ATTRIBUTE
from core.i18n import _
from core.problems import Problem
from core.schemas import ProblemSchema

log = logging.getLogger("rxloop.app")
migrate = Migrate()


class RxloopApi(Api):
    ERROR_SCHEMA = ProblemSchema  # documented errors are problem details, as served

    def _register_responses(self):
        """Document every error response as application/problem+json, as it is served."""
        for status in [*http.HTTPStatus, None]:
            if status is not None and (100 <= status < 200 or status in (204, 304)):
                continue
            response = {"description": status.phrase if status else "Default error response",
                        "schema": self.ERROR_SCHEMA}
            prepare_response(response, self.spec, errors.PROBLEM_JSON)
            self.spec.components.response(status.name if status else "DEFAULT_ERROR", response, lazy=True)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_path=str(settings.PROJECT_ROOT / "instance"))
    values = settings.from_environment()
    values.update(config or {})
    settings.follow_environment(values, given=config or {})
    settings.validate(values)
    app.config.update(values)
    # Chinese names, messages and notices go out as UTF-8, never as \uXXXX escapes: jsonify,
    # flask-smorest's bodies and problem+json all answer through app.json.
    app.json.ensure_ascii = False
    app.config.update(
        API_TITLE="rxloop",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL=docs_page.ASSETS_URL,  # served from the installed package, no CDN
        JSON_SORT_KEYS=False,
    )

    if app.config["TRUSTED_PROXIES"]:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"])
    logs.configure(app)
    headers.init_app(app)
    i18n.init_app(app)
    data_keys.init_app(app)  # before anything reads or writes an encrypted column
    database = Database()  # one per app: a second app must never swap the first one's engine
    database.init_app(app)
    migrate.init_app(app, database, directory=str(settings.PROJECT_ROOT / "migrations"))
    ratelimit.init_app(app)

    api = RxloopApi(app, spec_kwargs={"info": {"description": "From a consultation to a delivered medicine, safely."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blueprint in _blueprints():
        api.register_blueprint(blueprint)
    _document_fhir_errors(api)
    _document_optional_bodies(api)
    # Operation ids, the problems each operation answers with, examples: the document as a contract.
    openapi.complete(api, app, access_of=lambda view: getattr(view, ACCESS_ATTRIBUTE, ("public",)))
    app.register_blueprint(problem_pages.blp)  # pages for people, outside the OpenAPI document
    app.register_blueprint(docs_page.blp)
    _register_workbench(app)

    errors.register(app)  # after Api(): ours replaces flask-smorest's {code, status} bodies
    admission.register(app)
    _register_unit_of_work(app)
    jobs.init_app(app)  # after the request's own commit: seal and checkpoint the audit log when due
    _register_cli(app)
    _wire_contexts()
    return app


def _wire_contexts() -> None:
    """consult asks the catalogue what a product's packs hold without importing shop: it is handed the lookup."""
    from consult import packs
    from shop.catalog import pack_of

    packs.provide(pack_of)


def _document_fhir_errors(api) -> None:
    """FHIR reads answer errors with an OperationOutcome (application/fhir+json): say so."""
    api.spec.components.schema("OperationOutcome", {
        "type": "object", "required": ["resourceType", "issue"],
        "properties": {"resourceType": {"type": "string", "const": "OperationOutcome",
                                        "description": "Always `OperationOutcome`."},
                       "issue": {"type": "array", "items": {"type": "object"},
                                 "description": "What went wrong: `severity`, `code` and `diagnostics`."}}})
    outcome = {"description": "A FHIR OperationOutcome", "content": {
        "application/fhir+json": {"schema": {"$ref": "#/components/schemas/OperationOutcome"}}}}
    for path, operations in api.spec._paths.items():
        if path.startswith("/fhir/"):
            for operation in operations.values():
                if isinstance(operation, dict) and "responses" in operation:
                    operation["responses"]["default"] = outcome


def _document_optional_bodies(api) -> None:
    """A body none of whose fields is required may be left out (webargs reads it as `{}`): the
    document says so, rather than flask-smorest's blanket `required: true`."""
    schemas = api.spec.components.schemas
    for operations in api.spec._paths.values():
        for operation in operations.values():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if body is None:
                continue
            refs = [content["schema"].get("$ref", "") for content in body["content"].values()]
            if all(ref.startswith("#/components/schemas/") and not schemas[ref.rsplit("/", 1)[1]].get("required")
                   for ref in refs):
                body["required"] = False


def _blueprints():
    # Only the composition root imports the contexts' blueprints.
    from assistant.api import blueprints as assistant_blueprints
    from consult.api import blueprints as consult_blueprints
    from core.api import blp as operations
    from core.identity.api import blp as identity
    from fhir_api.api import blueprints as fhir_blueprints
    from shop.api import blueprints as shop_blueprints

    return [operations, identity, *consult_blueprints, *shop_blueprints, *assistant_blueprints, *fhir_blueprints]


def _register_workbench(app: Flask) -> None:
    # The pharmacists', doctors' and patients' pages (web/): plain Flask blueprints, outside the
    # OpenAPI document, over the same service functions.
    from web import init_app as init_workbench

    init_workbench(app)


def _register_unit_of_work(app: Flask) -> None:
    # Registered last, so it runs first among after_request hooks: the commit's outcome
    # decides the response the client (and the access log) sees. A constraint refusing the
    # commit is no expected race (those are caught where they happen): it is an error of ours.
    @app.after_request
    def _commit_or_roll_back(response):
        try:
            finish_request_session(success=response.status_code < 400)
        except IntegrityError:
            log.exception("commit refused by a constraint")
            return errors.problem(Problem.INTERNAL_ERROR, _not_saved(_("Something went wrong on our side")))
        except DBAPIError as exc:
            if not isinstance(exc, OperationalError) and not exc.connection_invalidated:
                raise
            log.exception("commit failed")
            return errors.problem(Problem.SERVICE_UNAVAILABLE, _not_saved(_("The database is unavailable")))
        return response


def _not_saved(cause: str) -> str:
    if units_committed():
        return _("%(cause)s; the last step was not saved, earlier ones were. Repeat the request "
                 "(with the same Idempotency-Key) to see where it stands.", cause=cause)
    return _("%(cause)s; nothing was saved.", cause=cause)


def _register_cli(app: Flask) -> None:
    from consult.cli import commands as consult_commands
    from core.cli import commands as core_commands
    from shop.cli import commands as shop_commands

    for command in [*core_commands, *consult_commands, *shop_commands]:
        app.cli.add_command(command)
