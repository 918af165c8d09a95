"""What each field of the /fhir/R4 schemas means, for the OpenAPI document (core.openapi.describe).

Kept beside the schemas rather than inside them so the field declarations stay one line each;
tests/core/test_openapi_contract.py fails on any field of the document left without a description.
"""

from core.openapi import describe
from fhir_api.schemas import BundleSchema, ExportManifestSchema, ExportOutputSchema, OutcomeSchema

BASE = "https://pharmacy.example.com/fhir/R4"
EXPORT_ID = "01JF3ZH8J9K0M1N2P3Q4R5S6T7"

describe(BundleSchema,
         resourceType=("Always `Bundle`.", "Bundle"),
         type=("Always `searchset`: the answer of a search or of $everything.", "searchset"),
         link=("`self`: the search as asked (without `_cursor`); `next`, when more matched: the URL of the next "
               "page.", [{"relation": "self", "url": f"{BASE}/Patient?_count=20"}]),
         entry=("The resources found, each with its `fullUrl`, the `resource` and `search.mode` (`match`, or "
                "`include` for what $everything adds); left out when nothing matched.",
                [{"fullUrl": f"{BASE}/Patient/01JF3ZA1B2C3D4E5F6G7H8J9K0",
                  "resource": {"resourceType": "Patient", "id": "01JF3ZA1B2C3D4E5F6G7H8J9K0"},
                  "search": {"mode": "match"}}]))
describe(OutcomeSchema,
         resourceType=("Always `OperationOutcome`.", "OperationOutcome"),
         issue=("What the server says: `severity`, `code` and `diagnostics` (for a kick-off, that the export was "
                "accepted).", [{"severity": "information", "code": "informational",
                                "diagnostics": "Export accepted."}]))
describe(ExportOutputSchema,
         type=("The resource type the file holds.", "Patient"),
         url=("Where to fetch the NDJSON file (admins, with the bearer token).", f"{BASE}/$export-file/{EXPORT_ID}"),
         count=("How many resources the file holds, one a line.", 42))
describe(ExportManifestSchema,
         transactionTime=("When the export finished (UTC, FHIR instant).", "2026-12-07T09:30:00Z"),
         request=("The kick-off request's URL, as it was sent.", f"{BASE}/$export?_type=Patient"),
         requiresAccessToken=("Always true: the files are served only with an admin's bearer token.", True),
         output="One file per exported resource type that had any resource (a type with none has no file).",
         error=("Files of OperationOutcomes for resources that failed; always empty here (an export either "
                "completes or fails as a whole).", []))
