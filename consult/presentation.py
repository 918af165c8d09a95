"""Clinical records as the API shows them: a prescription with its items, reviews and reject reason."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from consult.models import Prescription, PrescriptionItem, PrescriptionReview
from consult.review import REJECT_REASONS


def describe_prescriptions(*, session: Session, prescriptions: list[Prescription]) -> list[dict]:
    """Prescriptions as the API shows them, items and reviews loaded in one query each.

    Only a reviewed prescription has reviews: consult.review writes a review together with the
    prescription's `reviewed_at`, so a page with none reviewed (the review queue) skips that query."""
    ids = [p.id for p in prescriptions]
    reviewed = [p.id for p in prescriptions if p.reviewed_at is not None]
    items: dict[str, list] = {i: [] for i in ids}
    reviews: dict[str, list] = {i: [] for i in ids}
    if ids:
        for item in session.scalars(select(PrescriptionItem).where(PrescriptionItem.prescription_id.in_(ids))
                                    .order_by(PrescriptionItem.position)):
            items[item.prescription_id].append(item)
    if reviewed:
        for review in session.scalars(select(PrescriptionReview)
                                      .where(PrescriptionReview.prescription_id.in_(reviewed))
                                      .order_by(PrescriptionReview.created_at)):
            reviews[review.prescription_id].append(review)
    described = []
    for p in prescriptions:
        values = {c.key: getattr(p, c.key) for c in Prescription.__table__.columns}
        values["items"] = items[p.id]
        values["reviews"] = reviews[p.id]
        values["refills_remaining"] = min((i.refills_remaining for i in items[p.id]), default=0)
        values["reject_reason"] = REJECT_REASONS.get(p.reject_reason_code) if p.reject_reason_code else None
        described.append(values)
    return described
