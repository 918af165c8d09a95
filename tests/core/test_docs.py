"""The reference pages in docs/ are drawn from the declarations, so they cannot drift from them."""

import pytest

from core import reference_docs, states
from core.config import PROJECT_ROOT
from core.states import StateMachine


@pytest.mark.parametrize("name", sorted(reference_docs.PAGES))
def test_the_committed_page_is_what_the_declarations_give(app, name):
    # `app` imports every context, so every state machine is registered.
    committed = (PROJECT_ROOT / "docs" / name).read_text(encoding="utf-8")
    assert committed == reference_docs.PAGES[name](), \
        f"docs/{name} differs from the declarations: run `{reference_docs.COMMAND}` and commit it"


def test_a_machine_is_drawn_from_where_it_starts_to_where_it_ends(monkeypatch):
    monkeypatch.setattr(states, "MACHINES", {})
    StateMachine("refill", {"requested": {"sent", "refused"}, "sent": {"filled"}})
    assert reference_docs.states_page().split("## Refill\n", 1)[1] == """
A refill starts as `requested`.

```mermaid
stateDiagram-v2
    [*] --> requested
    requested --> sent
    requested --> refused
    sent --> filled
    refused --> [*]
    filled --> [*]
```

| status | may become |
| --- | --- |
| `requested` | `sent`, `refused` |
| `sent` | `filled` |
| `refused` | nothing: final |
| `filled` | nothing: final |
"""
