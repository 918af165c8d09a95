"""FHIR's audit events: the reads and exports /fhir/R4 writes to the audit log, by name."""

from core.audit import AuditEvent


class FhirEvent(AuditEvent):
    ENCOUNTER_READ = "fhir.encounter_read"
    ENCOUNTER_SEARCH = "fhir.encounter_search"
    EVERYTHING_READ = "fhir.everything_read"
    EXPORT_COMPLETED = "fhir.export_completed"
    EXPORT_READ = "fhir.export_read"
    EXPORT_REQUESTED = "fhir.export_requested"
    MEDICATION_DISPENSE_SEARCH = "fhir.medication_dispense_search"
    MEDICATION_REQUEST_SEARCH = "fhir.medication_request_search"
    PATIENT_SEARCH = "fhir.patient_search"
    PROVENANCE_READ = "fhir.provenance_read"
