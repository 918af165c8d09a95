"""Whether a formulary drug may be sold online under the jurisdiction's policy: what the shop asks
before showing a product and before selling one."""

from consult.formulary import get_formulary
from consult.policy import get_policy, online_sale_refusal
from core.errors import PolicyViolation


def _refusal(drug_id: str, policy_name: str):
    drug = get_formulary().drugs.get(drug_id)  # a drug gone from the formulary is on no list we can read
    return None if drug is None else online_sale_refusal(get_policy(policy_name), drug=drug)


def status(*, drug_id: str, policy_name: str) -> dict:
    """`{allowed, rule, citation, reason}`: why not, when a rule of the policy forbids it."""
    refusal = _refusal(drug_id, policy_name)
    if refusal is None:
        return {"allowed": True, "rule": None, "citation": None, "reason": None}
    return {"allowed": False, "rule": refusal.rule, "citation": refusal.citation, "reason": refusal.message}


def require_allowed(*, drug_id: str, policy_name: str, **extra) -> None:
    """Raise PolicyViolation (422, with rule and citation, and `extra` members) when it may not be sold online."""
    refusal = _refusal(drug_id, policy_name)
    if refusal is not None:
        raise PolicyViolation(refusal.message, rule=refusal.rule, citation=refusal.citation, **extra)
