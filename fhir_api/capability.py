"""GET /fhir/R4/metadata: the CapabilityStatement, made from the declared table of resources."""

from datetime import UTC, datetime

from fhir_api.resources import EXPORT, RESOURCES

SOFTWARE_VERSION = "0.1.0"
# When this statement last changed (a FHIR `date`): bump it with the table.
PUBLISHED = datetime(2026, 12, 7, tzinfo=UTC)


def statement(*, base: str) -> dict:
    resources = []
    for resource in RESOURCES.values():
        described = {"type": resource.type, "documentation": resource.documentation,
                     "interaction": [{"code": "read"}], "versioning": "no-version", "readHistory": False,
                     "updateCreate": False, "conditionalCreate": False, "conditionalRead": "not-supported",
                     "conditionalUpdate": False, "conditionalDelete": "not-supported"}
        if resource.search is not None:
            described["interaction"].append({"code": "search-type"})
            described["searchParam"] = [
                {"name": p.name, "type": p.type, "documentation": p.documentation}
                for p in (*resource.params, )]
        if resource.operations:
            described["operation"] = [{"name": o.name, "definition": o.definition, "documentation": o.documentation}
                                      for o in resource.operations]
        resources.append(described)
    return {
        "resourceType": "CapabilityStatement", "id": "rxloop", "status": "active", "experimental": False,
        "date": PUBLISHED.date().isoformat(), "publisher": "rxloop", "kind": "instance",
        "software": {"name": "rxloop", "version": SOFTWARE_VERSION},
        "implementation": {"description": "rxloop FHIR R4 server (read and search)", "url": base},
        "fhirVersion": "4.0.1", "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Every search answers a searchset Bundle of at most _count entries (1-100, default 20) "
                             "with a `next` link while there are more. Unknown search parameters are refused (400).",
            "security": {
                "cors": False,
                "description": "Bearer tokens: POST /api/v1/auth/token with email and password, then send "
                               "`Authorization: Bearer <token>` with every request. Each resource is visible "
                               "under the same rules as the rxloop API.",
            },
            "resource": resources,
            "operation": [{"name": EXPORT.name, "definition": EXPORT.definition, "documentation": EXPORT.documentation}],
        }],
    }
