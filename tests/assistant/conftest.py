"""The assistant under test: a provider of the test's choosing, and a consultation asking for a drug."""

import pytest

from assistant.prompts import RawSuggestion
from tests.factories.consult import consultation_in_progress
from tests.factories.shop import make_product


class ScriptedProvider:
    """A provider that says exactly what the test scripts: how a model that hallucinates behaves."""

    name = "scripted"

    def __init__(self, output: dict):
        self.output = output
        self.seen: list[tuple[str, dict]] = []

    def suggest(self, kind, context):
        self.seen.append((kind, context))
        return RawSuggestion(provider=self.name, model="hallucinator", model_version="1", prompt_hash="0" * 64,
                             output=self.output)


@pytest.fixture
def use_provider(app):
    """`use_provider(provider)` makes it the app's assistant for this test."""
    saved = app.extensions.pop("assistant_provider", None)

    def use(provider):
        app.extensions["assistant_provider"] = provider
        return provider

    yield use
    app.extensions.pop("assistant_provider", None)
    if saved is not None:
        app.extensions["assistant_provider"] = saved


@pytest.fixture
def people(login_as):
    return {"patient": login_as("patient"), "doctor": login_as("doctor"), "other_doctor": login_as("doctor"),
            "pharmacist": login_as("pharmacist"), "admin": login_as("admin")}


@pytest.fixture
def asking_for(session, people):
    """`asking_for(drug_id)`: a consultation in progress whose patient asked for a product of that drug."""

    def consultation(drug_id="amoxicillin-500mg-cap", **fields):
        product = make_product(session, drug_id, pack_size=21)
        return consultation_in_progress(session, people["patient"].user, people["doctor"].user,
                                        requested_product_ids=[product.id], **fields)

    return consultation


def ask(client, kind, subject_id):
    return client.post("/api/v1/assistant/suggestions", json={"kind": kind, "subject_id": subject_id})
