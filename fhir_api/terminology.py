"""Code systems, identifier systems and the small conversions every FHIR resource here shares."""

from datetime import datetime
from decimal import Decimal

ATC = "http://www.whocc.no/atc"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
V2_DEGREE = "http://terminology.hl7.org/CodeSystem/v2-0360"  # degree/licence/certificate (MD, RPH)
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
PROVENANCE_ROLE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
UCUM_CODES = {"mg": "mg", "g": "g", "mcg": "ug", "mL": "mL", "tablet": "{tablet}", "capsule": "{capsule}",
              "puff": "{puff}", "drop": "[drp]", "patch": "{patch}", "IU": "[iU]", "unit": "{unit}"}

# rxloop's own identifier systems.
PATIENT_ID = "urn:rxloop:patient"
LICENCE = "urn:rxloop:licence"  # a doctor's or pharmacist's professional licence number
PHARMACY_LICENCE = "urn:rxloop:pharmacy-licence"
PRESCRIPTION_GROUP = "urn:rxloop:prescription"
ORDER = "urn:rxloop:order"
USER = "urn:rxloop:user"
AUDIT_ACTION = "urn:rxloop:audit-action"


def instant(value: datetime | None) -> str | None:
    """A UTC time as FHIR writes it (`…Z`)."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def number(value) -> int | float:
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def drug_concept(drug) -> dict:
    """A formulary drug as a CodeableConcept: its ATC code and a readable text."""
    return {"coding": [{"system": ATC, "code": drug.atc_code, "display": drug.generic_name}],
            "text": f"{drug.generic_name} {drug.strength} {drug.form}"}


def units(value: int, code: str = "{unit}", unit: str = "unit") -> dict:
    return {"value": value, "unit": unit, "system": UCUM, "code": code}
