"""FHIR R4 over HTTP at /fhir/R4: the routes of the declared table (fhir_api/resources.py),
the CapabilityStatement, $everything and Bulk Data $export. Handlers are thin."""

import json
import re

from flask import Response, current_app, g, request
from flask_smorest import Blueprint

from core.db import current_session
from core.fhir_http import FHIR_JSON, fhir_json
from core.i18n import _
from core.identity.access import public, requires
from fhir_api import capability, everything, export, schema_docs  # noqa: F401 (schema_docs: the fields' descriptions)
from fhir_api.resources import RESOURCES, Resource
from fhir_api.schemas import BundleSchema, ExportManifestSchema, FhirResourceSchema, OutcomeSchema
from fhir_api.search import BadSearch, entry, parse, searchset

blp = Blueprint("fhir", __name__, url_prefix="/fhir/R4", description="FHIR R4: read, search, $everything, $export")


def base_url() -> str:
    return request.url_root.rstrip("/") + blp.url_prefix


@blp.route("/metadata", methods=["GET"])
@public
@blp.response(200, FhirResourceSchema, content_type=FHIR_JSON)
def metadata():
    """The CapabilityStatement: what this server serves.

    Public. Made from the same table as the routes (fhir_api/resources.py): every resource type, its read
    and search interactions, its search parameters, and the operations $everything and $export."""
    return fhir_json(capability.statement(base=base_url()))


def _snake(resource_type: str) -> str:
    """`MedicationRequest` -> `medication_request`: the operationId's spelling (core.openapi)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", resource_type).lower()


def _register(resource: Resource) -> None:
    def read(**ids):
        return fhir_json(resource.read(session=current_session(), user=g.user, **ids))

    read.__name__ = f"read_{_snake(resource.type)}"
    read.__doc__ = f"Read a {resource.type} by id.\n\n{resource.documentation}"
    view = requires(*resource.roles)(blp.response(200, FhirResourceSchema, content_type=FHIR_JSON)(read))
    blp.route(f"/{resource.type}/<{resource.id_name}>", methods=["GET"], endpoint=read.__name__)(view)
    if resource.search is None:
        return

    def search():
        query = parse(request.args, resource.params, systems=resource.systems, targets=resource.targets)
        found, next_cursor = resource.search(session=current_session(), user=g.user, query=query)
        return fhir_json(searchset(base=base_url(), resource_type=resource.type, args=request.args,
                                   resources=found, next_cursor=next_cursor))

    search.__name__ = f"search_{_snake(resource.type)}"
    search.__doc__ = (f"Search {resource.type}: a searchset Bundle.\n\nParameters: "
                      + ", ".join(p.name for p in resource.params) + ", _count (1-100), and the `next` link's _cursor. "
                      + f"Only the records the caller may read are matched: {resource.documentation}")
    view = requires(*resource.roles)(blp.response(200, BundleSchema, content_type=FHIR_JSON)(search))
    blp.route(f"/{resource.type}", methods=["GET"], endpoint=search.__name__)(view)


for _resource in RESOURCES.values():
    _register(_resource)


@blp.route("/Patient/<patient_id>/$everything", methods=["GET"])
@requires(*RESOURCES["Patient"].roles)
@blp.response(200, BundleSchema, content_type=FHIR_JSON)
def patient_everything(patient_id):
    """The patient's record as one Bundle (the patient, or staff allowed to read the record).

    A searchset Bundle: the Patient first (`mode: match`), then its Encounters, MedicationRequests,
    MedicationDispenses, Provenance and every resource they reference (`mode: include`), each part under its
    own access rule (a doctor, who sees no orders, gets no MedicationDispenses)."""
    resources = everything.everything(session=current_session(), user=g.user, patient_id=patient_id)
    return fhir_json({"resourceType": "Bundle", "type": "searchset",
                      "link": [{"relation": "self", "url": f"{base_url()}/Patient/{patient_id}/$everything"}],
                      "entry": [entry(base_url(), r, mode="match" if i == 0 else "include")
                                for i, r in enumerate(resources)]})


@blp.route("/$export", methods=["GET"])
@requires("admin")
@blp.response(202, OutcomeSchema, content_type=FHIR_JSON,
              headers={"Content-Location": {"description": "the status URL", "schema": {"type": "string"}}})
def bulk_export():
    """Bulk Data kick-off (send `Prefer: respond-async`): 202 with the status URL in Content-Location.

    Admins only. `_type` narrows the export to some of Patient, Practitioner, Organization, Medication,
    Encounter, MedicationRequest, MedicationDispense and Provenance (all by default); `_outputFormat`, if
    given, must be NDJSON. A missing Prefer header or another parameter answers 400 (OperationOutcome).
    The export reads every patient's record, and is audited as such."""
    if "respond-async" not in request.headers.get("Prefer", ""):
        raise BadSearch(_("A bulk export needs the header Prefer: respond-async."))
    unknown = sorted(set(request.args) - {"_type", "_outputFormat"})
    if unknown:
        raise BadSearch(_("Unsupported export parameter: %(name)s.", name=", ".join(unknown)))
    job = export.request(session=current_session(), admin=g.user, types=request.args.get("_type"),
                         output_format=request.args.get("_outputFormat"), request_url=request.url)
    response = fhir_json({"resourceType": "OperationOutcome", "issue": [
        {"severity": "information", "code": "informational", "diagnostics": _("Export accepted.")}]})
    response.status_code = 202
    response.headers["Content-Location"] = f"{base_url()}/$export-status/{job.id}"
    if current_app.config["FHIR_EXPORT_IN_PROCESS"]:
        app, job_id = current_app._get_current_object(), job.id
        response.call_on_close(lambda: export.run_in_own_unit(app, job_id))  # after the request's commit
    return response


@blp.route("/$export-status/<job_id>", methods=["GET"])
@requires("admin")
@blp.response(200, ExportManifestSchema, content_type="application/json")
@blp.alt_response(202, description="Still running (X-Progress, Retry-After); no body")
def bulk_export_status(job_id):
    """The state of a Bulk Data export: its manifest once done.

    202 with `X-Progress` and `Retry-After` while the export runs, 200 with the manifest (one output per
    resource type, each with its file's URL and resource count) when done, 500 with an OperationOutcome if
    it failed."""
    session = current_session()
    job = export.get(session=session, job_id=job_id)
    if job.status == "pending":
        response = Response(status=202)
        response.headers["X-Progress"] = "in progress"
        response.headers["Retry-After"] = "2"
        return response
    if job.status == "failed":
        response = fhir_json({"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "exception", "diagnostics": job.error or ""}]})
        response.status_code = 500
        return response
    manifest = export.manifest(job=job, files=export.files_of(session=session, job=job), base=base_url())
    return Response(json.dumps(manifest, ensure_ascii=False), mimetype="application/json")


@blp.route("/$export-file/<file_id>", methods=["GET"])
@requires("admin")
@blp.response(200, content_type=export.NDJSON, description="One resource per line")
def bulk_export_file(file_id):
    """One NDJSON file of a finished export: one resource per line.

    Admins only, from the URL the manifest lists (`output[].url`); served as `application/fhir+ndjson`."""
    return Response(export.file(session=current_session(), file_id=file_id).content, mimetype=export.NDJSON)


blueprints = [blp]
