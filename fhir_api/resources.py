"""The declared table of what /fhir/R4 serves: each resource type, who may call it, how it is
read and searched, and its search parameters. The routes (fhir_api/api.py) and the
CapabilityStatement (fhir_api/capability.py) are both made from this table, so what the
statement says is what the server does."""

from collections.abc import Callable
from dataclasses import dataclass, field

from fhir_api import audit_events, clinical, directory, dispense, searches
from fhir_api.search import Param
from fhir_api.terminology import LICENCE, PATIENT_ID

CLINICAL_ROLES = ("patient", "doctor", "pharmacist", "admin")


@dataclass(frozen=True)
class Operation:
    name: str
    definition: str
    documentation: str


@dataclass(frozen=True)
class Resource:
    type: str
    roles: tuple[str, ...]  # who may call its reads and searches (records are then filtered per record)
    id_name: str  # the route's path parameter
    read: Callable  # (session=, user=, **{id_name: id}) -> resource
    documentation: str
    search: Callable | None = None  # (session=, user=, query=) -> (resources, next_cursor)
    params: tuple[Param, ...] = ()
    systems: dict[str, str] = field(default_factory=dict)  # a token parameter's identifier system
    targets: dict[str, str] = field(default_factory=dict)  # a reference parameter's target type
    operations: tuple[Operation, ...] = ()


_PATIENT = Param("patient", "reference", "The patient (Patient/id or id); comma-separated ids match any.")
_ID = Param("_id", "token", "The resource id.")

RESOURCES = {r.type: r for r in (
    Resource("Patient", CLINICAL_ROLES, "patient_id", clinical.patient_resource,
             "A patient may read their own; doctors while a consultation with them is in progress, pharmacists "
             "while they hold the claim on one of their prescriptions, admins always. Every staff read is audited.",
             searches.patients_search,
             (Param("identifier", "token", f"rxloop's patient id ({PATIENT_ID}|id)."), _ID),
             systems={"identifier": PATIENT_ID},
             operations=(Operation("everything", "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                                   "The patient's record as one Bundle: Patient, Encounters, MedicationRequests, "
                                   "MedicationDispenses, Provenance and every resource they reference, each part "
                                   "under its own access rule."),)),
    Resource("Practitioner", CLINICAL_ROLES, "practitioner_id", directory.practitioner,
             "A doctor or pharmacist: licence number as identifier and qualification (MD, RPH).",
             searches.practitioners,
             (Param("identifier", "token", f"The professional licence number ({LICENCE}|number)."), _ID),
             systems={"identifier": LICENCE}),
    Resource("Organization", CLINICAL_ROLES, "organization_id", directory.organization,
             "The pharmacy (Organization/pharmacy), from configuration."),
    Resource("Medication", CLINICAL_ROLES, "drug_id", directory.medication,
             "A formulary drug: ATC code, form, and each ingredient's strength per unit.",
             searches.medications,
             (Param("code", "token", "The ATC code (http://www.whocc.no/atc|code)."), _ID),
             systems={"code": "http://www.whocc.no/atc"}),
    Resource("Encounter", ("patient", "doctor", "admin"), "consultation_id", clinical.encounter,
             "A consultation: its patient, its doctor, its period; as the consultations API shows it (a patient "
             "their own, doctors the waiting queue and their own, admins all; pharmacists are refused, as there).",
             searches.encounters,
             (_PATIENT, Param("status", "token", "FHIR status: planned, in-progress, finished, cancelled."),
              Param("date", "date", "When the consultation was opened (eq, ge, le, gt, lt prefixes).")),
             targets={"patient": "Patient"}),
    Resource("MedicationRequest", CLINICAL_ROLES, "item_id", clinical.medication_request,
             "One per prescription item (groupIdentifier: the prescription). Visible as the prescriptions API "
             "shows them: a patient their own (not drafts), a doctor those they wrote, pharmacists all but "
             "drafts, admins all.",
             searches.medication_requests,
             (_PATIENT, Param("status", "token", "FHIR status: active, on-hold, completed, stopped, cancelled, draft."),
              Param("authoredon", "date", "When signed (eq, ge, le, gt, lt prefixes).")),
             targets={"patient": "Patient"}),
    Resource("MedicationDispense", ("patient", "pharmacist", "admin"), "line_id", dispense.medication_dispense,
             "One per order line, with its lots; a patient sees their own, pharmacists and admins all.",
             searches.medication_dispenses,
             (_PATIENT, Param("status", "token", "FHIR status: preparation, completed, cancelled."),
              Param("whenhandedover", "date", "When dispensed (eq, ge, le, gt, lt prefixes).")),
             targets={"patient": "Patient"}),
    Resource("Provenance", CLINICAL_ROLES, "prescription_id", clinical.provenance,
             "Who signed a prescription (author) and which pharmacist reviewed it (verifier); its id is the "
             "prescription's, and it is visible to whoever may see the prescription."),
    Resource("AuditEvent", ("admin",), "event_id", audit_events.audit_event,
             "The audit trail, for administrators.",
             audit_events.search,
             (Param("entity", "reference", "A subject id or the patient the entry is about (Type/id or id)."),
              Param("agent", "reference", "The acting user's id."),
              Param("date", "date", "When recorded (eq, ge, le, gt, lt prefixes).")),
             targets={}),
)}

EXPORT = Operation("export", "http://hl7.org/fhir/uv/bulkdata/OperationDefinition/export",
                   "Bulk Data system export for admins (Prefer: respond-async): NDJSON files of every Patient, "
                   "Practitioner, Organization, Medication, Encounter, MedicationRequest, MedicationDispense and "
                   "Provenance; `_type` narrows it.")
