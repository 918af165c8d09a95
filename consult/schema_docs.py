"""What each field of the clinical schemas means, for the OpenAPI document (core.openapi.describe).

Kept beside the schemas rather than inside them so the field declarations stay one line each;
tests/core/test_openapi_contract.py fails on any field of the document left without a description.
"""

from consult.schemas import (
    AccessLogEntrySchema, AllergySchema, ApproveSchema, CodedSchema, CompletionSchema, ConditionSchema,
    ConsultationRequestSchema, ConsultationSchema, ControlledSubstanceBasisSchema, DrugQuerySchema, DrugSchema,
    FhirResourceSchema, FindingSchema, GenotypeSchema, GuardianSchema, MedicationSchema, MessageInSchema,
    MessageSchema, OnlineSaleSchema, PatientProfileSchema, PrescriptionDraftSchema, PrescriptionItemInSchema,
    PrescriptionItemSchema, PrescriptionSchema, PriorDiagnosisEvidenceRecordSchema, PriorDiagnosisEvidenceSchema,
    ReasonSchema, RequestedProductInSchema, RequestedProductSchema, RegistrationSchema, RejectSchema, ReviewSchema, SafetySchema, SignSchema, StatusQuerySchema,
)
from core.openapi import describe

AMOXICILLIN = "amoxicillin-500mg-cap"
PATIENT_ID = "01JF3ZA1B2C3D4E5F6G7H8J9K0"
DOCTOR_ID = "01JF3ZB2C3D4E5F6G7H8J9K0M1"

REGISTRATION = dict(
    email=("Your email address; you sign in with it.", "wang.fang@example.com"),
    password=("At least 10 characters.", "correct horse battery staple"),
    full_name=("Your name as on your identity document.", "Wang Fang"),
    birth_date=("Your date of birth, `YYYY-MM-DD`.", "1990-04-12"),
    sex=("`female`, `male`, `other` or `unknown`.", "female"),
    phone=("A phone number for the pharmacy to reach you.", "+86 138 0013 8000"),
)
describe(RegistrationSchema, **REGISTRATION)
describe(AllergySchema,
         substance=("What the patient is allergic to: a drug, a class or an ingredient.", "penicillin"),
         reaction=("What happened: rash, anaphylaxis, angioedema, ...", "rash"),
         severity=("`mild`, `moderate` or `severe`.", "moderate"))
describe(ConditionSchema,
         code=("The ICD-10 code.", "I10"),
         display=("The condition in words.", "Essential hypertension"))
describe(MedicationSchema,
         drug_id=("The formulary drug, when known.", "amlodipine-5mg-tab"),
         name=("The medicine as the patient names it, when no drug id is known.", "Norvasc 5 mg"))
describe(GenotypeSchema,
         allele=("An HLA allele, written as `HLA-B*15:02`.", "HLA-B*15:02"),
         result=("`positive` or `negative`.", "negative"))
describe(PatientProfileSchema,
         id=("The patient's id.", PATIENT_ID),
         full_name=REGISTRATION["full_name"],
         family_name=("The family name (surname), where the patient gave the name in parts; FHIR's "
                      "`HumanName.family`. `full_name` stays the name as written.", "Wang"),
         given_name=("The given names, space-separated, where the patient gave the name in parts; FHIR's "
                     "`HumanName.given`.", "Fang"),
         birth_date=REGISTRATION["birth_date"],
         sex=REGISTRATION["sex"],
         phone=REGISTRATION["phone"],
         pregnant="Whether the patient is pregnant; null when unknown or not applicable.",
         weight_kg=("Body weight in kilograms, for weight-based doses.", 58.5),
         allergies="Recorded allergies, with reaction and severity.",
         conditions="Recorded conditions (ICD-10), checked against each drug's cautions.",
         current_medications="Medicines taken now that were not dispensed here.",
         pregnancy_due_date="The expected date of delivery; the gestational week is counted from it.",
         egfr=("Estimated glomerular filtration rate, mL/min/1.73 m².", 85),
         egfr_measured_on="When the eGFR was measured.",
         ancestry=("Ancestries, which decide whether an HLA test is needed.", ["east-asian"]),
         genotypes="HLA results on record.",
         updated_at="When the record last changed (UTC).")
describe(CodedSchema,
         code=("The ICD-10 code.", "J02.9"),
         display=("The diagnosis in words.", "Acute pharyngitis"))
describe(DrugSchema,
         id=("The formulary drug's id.", AMOXICILLIN),
         generic_name=("The international non-proprietary name.", "amoxicillin"),
         strength=("Strength of one unit.", "500 mg"),
         form=("Dosage form.", "capsule"),
         route=("Route of administration.", "oral"),
         atc_code=("The WHO ATC code.", "J01CA04"),
         rx_class=("`otc`, `rx` or `controlled`.", "rx"),
         us_schedule="The US DEA schedule (`II` to `V`), or null.",
         cn_special_class="China's special-control class (麻醉药品, 精神药品, ...), or null.")
describe(OnlineSaleSchema,
         allowed="Whether the jurisdiction allows selling the drug online.",
         rule="The rule that forbids it, or null.",
         citation="The regulation the rule cites, or null.",
         reason="Why it may not be sold online, in words, or null.")
describe(DrugQuerySchema,
         q=("Words to look for in names and codes.", "amoxicillin"),
         rx_class=("Only drugs of this class: `otc`, `rx` or `controlled`.", "otc"))
describe(GuardianSchema,
         name=("The guardian's name.", "Wang Lei"),
         relationship=("How the guardian is related to the child.", "father"),
         confirmed_by="The doctor who confirmed the guardian present, once confirmed.",
         confirmed_at="When the doctor confirmed it (UTC), once confirmed.")
EVIDENCE = dict(
    institution=("The hospital or clinic that made the diagnosis.", "Peking Union Medical College Hospital"),
    date=("When it was made, `YYYY-MM-DD`, not after today.", "2026-03-02"),
    document_reference=("The record's number at that institution.", "OP-2026-0302-0117"),
    confirmed_by="The doctor who saw the record, once confirmed.",
    confirmed_at="When the doctor confirmed it (UTC), once confirmed.",
)
describe(PriorDiagnosisEvidenceSchema, **EVIDENCE)
describe(PriorDiagnosisEvidenceRecordSchema, date=EVIDENCE["date"])
REQUEST = dict(
    chief_complaint=("Why you seek care, in your own words.", "Sore throat for three days"),
    symptoms=("Symptoms, one phrase each.", ["sore throat", "mild fever"]),
    is_follow_up="Whether this continues care for a condition diagnosed before (offline).",
    prior_diagnosis="The diagnosis a follow-up continues.",
    prior_diagnosis_evidence="The record of that offline diagnosis (required for a follow-up under `cn`).",
    guardian="Who accompanies a child (required under `cn` for a patient under 6).",
    requested_product_ids=("Products the patient hopes to be prescribed.", ["01JF3ZC3D4E5F6G7H8J9K0M1N2"]),
)
PRODUCT_ID = "01JF3ZC3D4E5F6G7H8J9K0M1N2"
describe(RequestedProductInSchema,
         product_id=("A product of the catalogue, on sale.", PRODUCT_ID),
         drug_id=("The product's drug; checked against the catalogue if given.", "paracetamol-500mg-tab"),
         packs=("Packs wanted.", 2))
describe(RequestedProductSchema,
         product_id=("The product asked for.", PRODUCT_ID),
         drug_id=("The formulary drug the product holds.", "paracetamol-500mg-tab"),
         name=("The product's name as the catalogue gave it when the consultation was asked for.",
               "Paracetamol 500 mg tablets, 20"),
         pack_size=("Units of the drug in one pack.", 20),
         packs=("Packs the patient asked for, if said.", 2))
describe(ConsultationRequestSchema, **REQUEST,
         requested_products=("Products the patient hopes to be prescribed, with the packs wanted (at most 20); "
                             "a refused checkout's `consultation_request` carries them ready. Taken together with "
                             "`requested_product_ids`, each product once; an unknown product, or a `drug_id` that is "
                             "not the product's, answers 422 `validation-error`.",
                             [{"product_id": PRODUCT_ID, "drug_id": "paracetamol-500mg-tab", "packs": 2}]))
describe(ConsultationSchema,
         **REQUEST,
         requested_products="The products asked for (from `requested_product_ids` and `requested_products`, each "
                            "once), as the catalogue described them: what the doctor drafts from.",
         id=("The consultation's id.", "01JF3ZD4E5F6G7H8J9K0M1N2P3"),
         patient_id=("The patient's id.", PATIENT_ID),
         doctor_id=("The doctor who took it, or null while waiting.", DOCTOR_ID),
         status=("`waiting`, `in_progress`, `completed`, `cancelled` or `referred_offline`.", "waiting"),
         triage=("`{reasons: [...]}`: why it was referred offline, if it was.", {"reasons": []}),
         diagnosis="The doctor's diagnosis, once completed.",
         notes="The doctor's notes, once completed.",
         created_at="When it was asked for (UTC).",
         accepted_at="When a doctor took it (UTC).",
         closed_at="When it was completed, cancelled or referred offline (UTC).")
describe(StatusQuerySchema, status=("Only records in this status.", "paid"))
describe(MessageInSchema, body=("The message.", "The pain is worse at night."))
describe(MessageSchema,
         id="The message's id.",
         author_id=("Who wrote it.", PATIENT_ID),
         body=("The message.", "The pain is worse at night."),
         created_at="When it was written (UTC).")
describe(CompletionSchema,
         diagnosis="The doctor's diagnosis.",
         notes=("The doctor's notes.", "Viral pharyngitis likely; review if fever persists."))
describe(ReasonSchema, reason=("Why, in words.", "Booked by mistake."))
ITEM = dict(
    drug_id=("The formulary drug prescribed.", AMOXICILLIN),
    dose_unit=("The unit of `dose`: mg, g, mcg, mL, tablet, capsule, puff, drop, patch, IU or unit.", "mg"),
    route=("Route of administration.", "oral"),
    days_supply=("Days the quantity lasts.", 7),
    quantity=("Units of the drug (tablets, capsules, mL...) in all.", 21),
    refills=("How many times it may be dispensed again.", 0),
    instructions=("Directions for the patient.", "Take one capsule three times a day with water."),
)
describe(PrescriptionItemInSchema, **ITEM,
         product_id=("Instead of `drug_id` and `quantity`: the product whose packs are prescribed (its drug is "
                     "the product's).", "prd-01JF3ZC3D4E5F6G7H8J9K0M1N2"),
         packs=("With `product_id`: how many packs of it (the quantity is packs × the product's pack size).", 1),
         dose=("The amount of one dose, in `dose_unit`.", 500),
         frequency_per_day=("Doses a day.", 3))
describe(ControlledSubstanceBasisSchema,
         kind=("`in_person_evaluation`, `telemedicine_exception` or `covering_practitioner`.",
               "in_person_evaluation"),
         evaluated_on=("The date of the in-person evaluation (or, covering, of the covered-for "
                       "practitioner's evaluation).", "2026-11-02"),
         exception=("A telemedicine exception of 21 U.S.C. 802(54), for `telemedicine_exception`.", "802(54)(B)"),
         covering_for=("The practitioner covered for, for `covering_practitioner`.", "Dr. Jane Roe"))
describe(PrescriptionDraftSchema,
         items="What is prescribed, one item a drug.",
         diagnosis="The diagnosis it treats.",
         controlled_substance_basis="Under `us`, the legal basis for a controlled substance.")
describe(FindingSchema,
         code=("The NCPDP DUR code: DD, DA, TD, HD, EX, PG, PA, DC, DL, TN, AT, MX.", "DA"),
         severity=("`blocking` or `warning`.", "blocking"),
         drugs=("The drugs involved.", [AMOXICILLIN]),
         message=("What was found, for the prescriber.", "Allergy to penicillin."),
         rule=("The rule's stable id.", "DA.class"),
         source=("The reference the rule follows.", "BNF: penicillins"))
describe(SafetySchema,
         blocking="Findings that forbid signing or dispensing.",
         warnings="Findings a doctor may override with a reason.")
describe(PrescriptionItemSchema, **ITEM,
         id="The item's id (also its FHIR MedicationRequest id).",
         quantity_remaining="Units not yet dispensed.",
         refills_remaining="Refills not yet used.")
describe(ReviewSchema,
         decision=("`approved` or `rejected`.", "approved"),
         reason_code="Why it was rejected, as a code, or null.",
         note="The pharmacist's note, or null.",
         created_at="When the review was made (UTC).")
describe(PrescriptionSchema,
         id=("The prescription's id.", "01JF3ZE5F6G7H8J9K0M1N2P3Q4"),
         consultation_id="The consultation it was written in.",
         patient_id=("The patient's id.", PATIENT_ID),
         doctor_id=("The prescriber's user id.", DOCTOR_ID),
         status=("`draft`, `pending_review`, `approved`, `rejected`, `dispensed`, `expired` or `cancelled`.",
                 "approved"),
         diagnosis="The diagnosis it treats.",
         safety="The safety findings at the last check.",
         override_reason="Why the doctor signed despite warnings, or null.",
         ruleset_version=("The rule set it was checked under.", "cn/2026.12.2"),
         controlled_substance_basis="The legal basis for a controlled substance (us), or null.",
         items="What is prescribed.",
         created_at="When it was drafted (UTC).",
         signed_at="When the doctor signed it (UTC).",
         valid_until="Until when it may be dispensed (UTC).",
         refills_remaining="Refills left over all items.",
         claimed_by="The pharmacist reviewing it, or null.",
         reviewed_by="The pharmacist who approved or rejected it, or null.",
         reviewed_at="When it was approved or rejected (UTC).",
         review_note="The pharmacist's note, or null.",
         reject_reason_code="Why it was rejected, as a code, or null.",
         reject_reason="Why it was rejected, in words the patient reads, or null.",
         reviews="Every review decision, oldest first.")
describe(SignSchema,
         otp=("A current code from the doctor's authenticator app (controlled drugs).", "492039"),
         override_reason=("Why the warnings do not stop this prescription.", "Patient tolerated it before."))
describe(ApproveSchema, note=("The pharmacist's note.", "Counselled on completing the course."))
describe(RejectSchema,
         reason_code=("Why, as a code the patient's app can show.", "dose"),
         note=("The pharmacist's explanation.", "Please confirm the dose."))
describe(FhirResourceSchema,
         resourceType=("The FHIR resource type.", "MedicationRequest"),
         id="The resource's id.")
describe(AccessLogEntrySchema,
         at="When it was read or refused (UTC).",
         action=("What was read.", "prescription.read"),
         subject=("What was read, as `type:id`.", "prescription:01JF3ZE5F6G7H8J9K0M1N2P3Q4"),
         refused="Whether the read was refused.")
