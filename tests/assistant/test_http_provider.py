"""An OpenAI-compatible provider over real HTTP: its answer is recorded and gated like any other; when it
does not answer, the doctor is told and nothing is recorded."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from assistant.models import Suggestion
from assistant.providers import OpenAICompatibleProvider, from_config
from assistant.rules_provider import RulesProvider
from core.config import ConfigError, from_environment, validate
from tests.assistant.conftest import ask


class _Completions(BaseHTTPRequestHandler):
    answer: dict = {}
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).received.append((self.path, self.headers["Authorization"], body))
        payload = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def completions():
    server = HTTPServer(("127.0.0.1", 0), _Completions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Completions.received = []
    yield server
    server.shutdown()
    server.server_close()


def chat(content: dict) -> dict:
    return {"model": "test-model-7b", "system_fingerprint": "fp_1",
            "choices": [{"message": {"role": "assistant", "content": json.dumps(content)}}]}


def test_a_remote_models_answer_is_recorded_and_gated(session, people, use_provider, asking_for, completions):
    _Completions.answer = chat({"claims": [{"text": "Complaint as recorded",
                                            "cites": ["record:consultation.chief_complaint"]},
                                           {"text": "Invented", "cites": ["rule:made-up"]}]})
    url = f"http://127.0.0.1:{completions.server_port}/v1"
    use_provider(OpenAICompatibleProvider(url=url, key="sk-test", model="test-model-7b", timeout=5))
    body = ask(people["doctor"], "consultation_summary", asking_for().id).json
    assert (body["provider"], body["model"], body["model_version"]) == ("openai", "test-model-7b", "fp_1")
    assert [c["text"] for c in body["suggestion"]["claims"]] == ["Complaint as recorded"]
    assert body["dropped_count"] == 1
    path, authorization, request = _Completions.received[0]
    assert (path, authorization, request["temperature"]) == ("/v1/chat/completions", "Bearer sk-test", 0)
    assert json.loads(request["messages"][1]["content"])["kind"] == "consultation_summary"


def test_a_provider_that_does_not_answer_is_a_503_and_records_nothing(session, people, use_provider, asking_for):
    use_provider(OpenAICompatibleProvider(url="http://127.0.0.1:9/v1", key="", model="m", timeout=1))
    response = ask(people["doctor"], "consultation_summary", asking_for().id)
    assert response.status_code == 503
    assert response.json["type"] == "/problems/service-unavailable"
    assert session.query(Suggestion).count() == 0


def test_an_answer_that_is_not_json_is_a_503(session, people, use_provider, asking_for, completions):
    _Completions.answer = {"choices": [{"message": {"content": "I think amoxicillin would be fine."}}]}
    use_provider(OpenAICompatibleProvider(url=f"http://127.0.0.1:{completions.server_port}", key="", model="m",
                                          timeout=5))
    assert ask(people["doctor"], "consultation_summary", asking_for().id).status_code == 503


def test_the_provider_is_chosen_by_configuration():
    assert isinstance(from_config({"RXLOOP_ASSISTANT": "rules"}), RulesProvider)
    remote = from_config({"RXLOOP_ASSISTANT": "openai", "RXLOOP_ASSISTANT_URL": "http://llm.internal/v1",
                          "RXLOOP_ASSISTANT_TIMEOUT": 3})
    assert (remote.url, remote.timeout) == ("http://llm.internal/v1", 3.0)


@pytest.mark.parametrize("env", [{"RXLOOP_ASSISTANT": "gpt"}, {"RXLOOP_ASSISTANT": "openai"}])
def test_an_unusable_assistant_configuration_refuses_to_start(env):
    with pytest.raises(ConfigError):
        validate(from_environment(env))


def test_the_default_assistant_is_the_rules_provider():
    assert from_environment({})["RXLOOP_ASSISTANT"] == "rules"
