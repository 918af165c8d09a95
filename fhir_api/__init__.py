"""FHIR R4 at /fhir/R4: every resource, search, operation and the CapabilityStatement that lists them."""
