"""Assistant providers: `suggest(kind, context) -> RawSuggestion`, chosen by RXLOOP_ASSISTANT.

`rules` (the default) is rxloop's own deterministic provider (assistant.rules_provider): no network,
the same output for the same inputs. `openai` calls any OpenAI-compatible chat-completions endpoint
(RXLOOP_ASSISTANT_URL, RXLOOP_ASSISTANT_KEY, RXLOOP_ASSISTANT_MODEL) with a timeout. A provider is
only ever called to make a suggestion, never from a safety check, a signature or a review.
Whatever a provider returns is untrusted until assistant.gate has passed it.
"""

import json
import urllib.error
import urllib.request
from typing import Protocol

from flask import current_app

from assistant.prompts import INSTRUCTIONS, RawSuggestion, prompt_hash, prompt_of
from assistant.rules_provider import RulesProvider
from core.errors import ServiceUnavailable
from core.i18n import _

class Provider(Protocol):
    name: str

    def suggest(self, kind: str, context: dict) -> RawSuggestion: ...


class OpenAICompatibleProvider:
    """An OpenAI-compatible `POST {url}/chat/completions`, asked for a JSON object."""

    name = "openai"

    def __init__(self, *, url: str, key: str, model: str, timeout: float):
        self.url, self.key, self.model, self.timeout = url.rstrip("/"), key, model, timeout

    def suggest(self, kind: str, context: dict) -> RawSuggestion:
        prompt = prompt_of(kind, context)
        body = {"model": self.model, "temperature": 0, "response_format": {"type": "json_object"},
                "messages": [{"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": prompt}]}
        request = urllib.request.Request(
            f"{self.url}/chat/completions", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.key}"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 (configured URL)
                answer = json.load(response)
            content = answer["choices"][0]["message"]["content"]
            output = json.loads(content)
        except (urllib.error.URLError, TimeoutError, OSError, KeyError, IndexError, TypeError,
                ValueError) as error:
            raise ServiceUnavailable(_("The assistant did not answer; write it yourself.")) from error
        if not isinstance(output, dict):
            output = {"claims": [], "unparsed": str(output)[:1000]}
        return RawSuggestion(provider=self.name, model=str(answer.get("model") or self.model)[:120],
                             model_version=str(answer.get("system_fingerprint") or "unknown")[:40],
                             prompt_hash=prompt_hash(prompt), output=output)


def from_config(config) -> Provider:
    choice = config.get("RXLOOP_ASSISTANT", "rules")
    if choice == "rules":
        return RulesProvider()
    if choice == "openai":
        if not config.get("RXLOOP_ASSISTANT_URL"):
            raise RuntimeError("RXLOOP_ASSISTANT=openai needs RXLOOP_ASSISTANT_URL")
        return OpenAICompatibleProvider(url=config["RXLOOP_ASSISTANT_URL"], key=config.get("RXLOOP_ASSISTANT_KEY", ""),
                                        model=config.get("RXLOOP_ASSISTANT_MODEL", ""),
                                        timeout=float(config.get("RXLOOP_ASSISTANT_TIMEOUT", 10)))
    raise RuntimeError(f"RXLOOP_ASSISTANT must be 'rules' or 'openai', not {choice!r}")


def current() -> Provider:
    """The app's provider, made from its configuration on first use (checked at start: core.config)."""
    extensions = current_app.extensions
    if "assistant_provider" not in extensions:
        extensions["assistant_provider"] = from_config(current_app.config)
    return extensions["assistant_provider"]
