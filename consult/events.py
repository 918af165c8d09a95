"""Consult's audit events: every action consult writes to the audit log, by name.

Each value is what the log stores; find every place an event is written by its name."""

from core.audit import AuditEvent


class ConsultEvent(AuditEvent):
    CONSULTATION_ACCEPTED = "consultation.accepted"
    CONSULTATION_CANCELLED = "consultation.cancelled"
    CONSULTATION_COMPLETED = "consultation.completed"
    CONSULTATION_GUARDIAN_CONFIRMED = "consultation.guardian_confirmed"
    CONSULTATION_LIST_READ = "consultation.list_read"
    CONSULTATION_MESSAGES_READ = "consultation.messages_read"
    CONSULTATION_READ = "consultation.read"
    CONSULTATION_MESSAGE_POSTED = "consultation.message_posted"
    CONSULTATION_PRIOR_DIAGNOSIS_CONFIRMED = "consultation.prior_diagnosis_confirmed"
    CONSULTATION_REFERRED_OFFLINE = "consultation.referred_offline"
    CONSULTATION_WAITING = "consultation.waiting"
    FHIR_MEDICATION_REQUEST_READ = "fhir.medication_request_read"
    FHIR_PATIENT_READ = "fhir.patient_read"
    PATIENT_PROFILE_UPDATED = "patient.profile_updated"
    PATIENT_RECORD_READ = "patient.record_read"
    PATIENT_REGISTERED = "patient.registered"
    PRESCRIPTION_APPROVED = "prescription.approved"
    PRESCRIPTION_CANCELLED = "prescription.cancelled"
    PRESCRIPTION_CLAIMED = "prescription.claimed"
    PRESCRIPTION_DISPENSED_UNITS = "prescription.dispensed_units"
    PRESCRIPTION_DRAFTED = "prescription.drafted"
    PRESCRIPTION_EXPIRED = "prescription.expired"
    PRESCRIPTION_FULLY_DISPENSED = "prescription.fully_dispensed"
    PRESCRIPTION_LIST_READ = "prescription.list_read"
    PRESCRIPTION_READ = "prescription.read"
    PRESCRIPTION_REJECTED = "prescription.rejected"
    PRESCRIPTION_SIGNED = "prescription.signed"
    PRESCRIPTION_USE_RELEASED = "prescription.use_released"
    PRESCRIPTION_USE_RESERVED = "prescription.use_reserved"
