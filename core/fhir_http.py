"""FHIR resources as HTTP responses: the JSON body in FHIR's own media type."""

import json

from flask import Response

FHIR_JSON = "application/fhir+json"


def fhir_json(resource: dict) -> Response:
    return Response(json.dumps(resource, ensure_ascii=False), mimetype=FHIR_JSON)
