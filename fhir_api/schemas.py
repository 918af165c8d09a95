"""What the OpenAPI document says /fhir/R4 answers: resources, Bundles and the export manifest.
(The FHIR content itself is checked against the R4B models in the tests.)"""

from marshmallow import Schema, fields

from consult.schemas import FhirResourceSchema

__all__ = ["BundleSchema", "ExportManifestSchema", "FhirResourceSchema", "OutcomeSchema"]


class BundleSchema(Schema):
    """A FHIR Bundle: `searchset` for searches and $everything."""

    class Meta:
        unknown = "include"

    resourceType = fields.String(required=True)
    type = fields.String(required=True)
    link = fields.List(fields.Dict())
    entry = fields.List(fields.Dict())


class OutcomeSchema(Schema):
    """A FHIR OperationOutcome (the 202 of an export kick-off says it was accepted)."""

    class Meta:
        unknown = "include"

    resourceType = fields.String(required=True)
    issue = fields.List(fields.Dict(), required=True)


class ExportOutputSchema(Schema):
    type = fields.String(required=True)
    url = fields.String(required=True)
    count = fields.Integer()


class ExportManifestSchema(Schema):
    """The Bulk Data manifest of a finished export."""

    transactionTime = fields.String(required=True)
    request = fields.String(required=True)
    requiresAccessToken = fields.Boolean(required=True)
    output = fields.List(fields.Nested(ExportOutputSchema), required=True)
    error = fields.List(fields.Dict(), required=True)
