"""Who may ask, read and decide; and the figures an AI committee asks for."""

from assistant.models import Suggestion
from core.audit import AuditEntry
from tests.assistant.conftest import ScriptedProvider, ask
from tests.factories.consult import item, signed_prescription


def test_only_the_consultations_own_doctor_asks_about_it(people, asking_for):
    consultation = asking_for()
    assert ask(people["other_doctor"], "draft_prescription", consultation.id).status_code == 404
    assert ask(people["patient"], "consultation_summary", consultation.id).status_code == 403
    assert ask(people["admin"], "consultation_summary", consultation.id).status_code == 403


def test_a_pharmacist_cannot_ask_for_a_draft(people, asking_for):
    assert ask(people["pharmacist"], "draft_prescription", asking_for().id).status_code == 404


def test_a_suggestion_is_read_by_who_asked_and_admins_only(people, asking_for):
    suggestion = ask(people["doctor"], "consultation_summary", asking_for().id).json
    path = f"/api/v1/assistant/suggestions/{suggestion['id']}"
    assert people["doctor"].get(path).status_code == 200
    assert people["admin"].get(path).status_code == 200
    assert people["other_doctor"].get(path).status_code == 404
    assert people["pharmacist"].get(path).status_code == 404


def test_only_who_asked_decides(people, asking_for):
    suggestion = ask(people["doctor"], "consultation_summary", asking_for().id).json
    path = f"/api/v1/assistant/suggestions/{suggestion['id']}/outcome"
    assert people["other_doctor"].post(path, json={"outcome": "accepted"}).status_code == 404
    assert people["doctor"].post(path, json={"outcome": "accepted"}).status_code == 200


def test_an_edited_summary_keeps_the_diff_of_the_text(people, asking_for):
    suggestion = ask(people["doctor"], "consultation_summary", asking_for().id).json
    text = "\n".join(c["text"] for c in suggestion["suggestion"]["claims"][1:]) + "\nSore throat for 3 days."
    decided = people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/outcome",
                                    json={"outcome": "edited", "text": text}).json
    assert decided["outcome"] == "edited"
    assert decided["outcome_diff"] == [
        {"path": "text", "line": f"-{suggestion['suggestion']['claims'][0]['text']}"},
        {"path": "text", "line": "+Sore throat for 3 days."}]


def test_an_edit_without_text_is_refused(people, asking_for):
    suggestion = ask(people["doctor"], "consultation_summary", asking_for().id).json
    refused = people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/outcome",
                                    json={"outcome": "edited"})
    assert refused.status_code == 422
    assert refused.json["errors"] == {"text": ["Required for edited."]}


def test_a_draft_suggestion_is_accepted_only_by_drafting_from_it(people, asking_for):
    suggestion = ask(people["doctor"], "draft_prescription", asking_for().id).json
    refused = people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/outcome",
                                    json={"outcome": "accepted"})
    assert refused.status_code == 409
    rejected = people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/outcome",
                                     json={"outcome": "rejected", "note": "Prefer a macrolide."})
    assert rejected.json["outcome"] == "rejected"


def test_a_refusal_is_explained_from_the_rejection_and_its_findings(session, people):
    prescription = signed_prescription(session, people["patient"].user, people["doctor"].user)
    people["pharmacist"].post(f"/api/v1/prescriptions/{prescription.id}/claim")
    people["pharmacist"].post(f"/api/v1/prescriptions/{prescription.id}/reject",
                              json={"reason_code": "not-clinically-appropriate", "note": "See your doctor."})
    body = ask(people["pharmacist"], "refusal_explanation", prescription.id).json
    assert body["suggestion"]["claims"][0] == {
        "text": "The pharmacist did not approve it (reason: not-clinically-appropriate)",
        "cites": ["record:prescription.reject_reason_code"]}


def test_a_review_note_is_for_a_prescription_awaiting_review(session, people):
    prescription = signed_prescription(session, people["patient"].user, people["doctor"].user)
    people["doctor"].post(f"/api/v1/prescriptions/{prescription.id}/cancel", json={"reason": "Not needed."})
    refused = ask(people["pharmacist"], "review_note", prescription.id)
    assert refused.status_code == 409
    assert refused.json["type"] == "/problems/invalid-transition"


def test_every_suggestion_and_decision_is_audited(session, people, asking_for):
    suggestion = ask(people["doctor"], "consultation_summary", asking_for().id).json
    people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/outcome", json={"outcome": "rejected"})
    entries = session.query(AuditEntry).filter_by(subject_id=suggestion["id"]).order_by(AuditEntry.seq)
    actions = [e.action for e in entries]
    assert actions == ["assistant.suggestion_made", "assistant.suggestion_decided"]


def test_the_report_counts_suggestions_drops_and_decisions_per_provider_and_kind(people, use_provider, asking_for):
    consultation = asking_for()
    for outcome in ("accepted", "edited", "rejected"):
        suggestion = ask(people["doctor"], "consultation_summary", consultation.id).json
        people["doctor"].post(f"/api/v1/assistant/suggestions/{suggestion['id']}/outcome",
                              json={"outcome": outcome, "text": "Edited."})
    ask(people["doctor"], "consultation_summary", consultation.id)
    use_provider(ScriptedProvider({"claims": [{"text": "Fabricated", "cites": ["rule:nope"]}],
                                   "items": [{"drug_id": "nope"}], "approve": True}))
    ask(people["doctor"], "draft_prescription", consultation.id)
    report = people["admin"].get("/api/v1/assistant/report")
    assert report.status_code == 200
    assert report.json["rows"] == [
        {"provider": "rules", "kind": "consultation_summary", "suggestions": 4, "dropped_claims": 0,
         "dropped_items": 0, "dropped_other": 0, "accepted": 1, "edited": 1, "rejected": 1, "undecided": 1,
         "acceptance_rate": 0.3333, "edit_rate": 0.3333},
        {"provider": "scripted", "kind": "draft_prescription", "suggestions": 1, "dropped_claims": 1,
         "dropped_items": 1, "dropped_other": 1, "accepted": 0, "edited": 0, "rejected": 0, "undecided": 1,
         "acceptance_rate": None, "edit_rate": None}]


def test_the_report_is_for_admins(people):
    assert people["doctor"].get("/api/v1/assistant/report").status_code == 403
    assert people["pharmacist"].get("/api/v1/assistant/report").status_code == 403


def test_a_suggestion_stores_what_the_provider_saw_and_said(session, people, use_provider, asking_for):
    output = {"claims": [{"text": "Fabricated", "cites": ["rule:nope"]}]}
    use_provider(ScriptedProvider(output))
    body = ask(people["doctor"], "consultation_summary", asking_for().id).json
    stored = session.get(Suggestion, body["id"])
    assert stored.output == output
    assert stored.inputs["consultation"]["chief_complaint"] == "Follow-up of known condition"
    assert "record:consultation.chief_complaint" in stored.inputs["sources"]
