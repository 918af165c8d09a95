"""A patient's record for the FHIR tests, and R4B validation of whatever the server answers."""

import importlib

import pytest

from tests.factories.fhir import make_record


@pytest.fixture
def record(session, login_as):
    return make_record(session, login_as)


def validate(resource: dict):
    """The resource as the fhir.resources R4B model of its type (raises on any violation); a
    Bundle's entries are each validated as their own type too."""
    module = importlib.import_module(f"fhir.resources.R4B.{resource['resourceType'].lower()}")
    model = getattr(module, resource["resourceType"]).model_validate(resource)
    for entry in resource.get("entry", []) if resource["resourceType"] == "Bundle" else []:
        validate(entry["resource"])
    return model


def references(value):
    """Every `reference` string anywhere in a resource."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference" and isinstance(inner, str):
                yield inner
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)
