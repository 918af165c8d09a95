"""The benchmark's catalog and people: generated, deterministic, loaded in one pass.

Products and lots (the bulk) go in with multi-row INSERTs; people, consultations and
prescriptions go through the same service functions the API uses, so the review queue
and the tokens are exactly what production would hold.
"""

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from consult import consultations, drugs, patients, prescriptions, review
from consult.models import Drug
from core.db import new_id, utcnow
from core.identity import accounts
from shop.demo import name_zh
from shop.models import InventoryLot, Product

PASSWORD = "bench-password-2026"
BRAND_SYLLABLES = ["ra", "no", "vi", "lu", "ce", "to", "ma", "zen", "fa", "ko", "li", "dor",
                   "sa", "qui", "pe", "tra", "mi", "xo", "bel", "ga"]
# Generated Chinese brands (商品名), as common in real ones: 康泰, 瑞宁, 安诺欣 …
BRAND_CHARACTERS = "康泰安瑞宁诺欣福乐舒达美立可优必信力恒"
PACK_SIZES = [10, 14, 20, 28, 30, 56, 100]
CHECKOUT_STOCK = 10_000_000  # packs on the OTC lots the checkout scenario buys from
BATCH = 5_000


@dataclass
class Dataset:
    product_ids: list[str] = field(default_factory=list)       # a sample, for product detail
    otc_product_ids: list[str] = field(default_factory=list)   # what the checkout scenario buys
    patient_tokens: list[str] = field(default_factory=list)
    pharmacist_token: str = ""
    search_terms: list[str] = field(default_factory=list)


def brand(rng: random.Random) -> str:
    return "".join(rng.choice(BRAND_SYLLABLES) for _ in range(rng.randint(2, 3))).title()


def brand_zh(rng: random.Random) -> str:
    return "".join(rng.choice(BRAND_CHARACTERS) for _ in range(rng.randint(2, 3)))


def load(session: Session, *, products: int, patients_count: int, approved: int, pending: int,
         tokens: int = 16, seed: int = 2026) -> Dataset:
    rng = random.Random(seed)
    drugs.sync(session=session)
    formulary = list(session.scalars(select(Drug).where(Drug.active.is_(True)).order_by(Drug.id)))
    data = Dataset()
    _catalog(session, rng, formulary, products, data)
    _people(session, formulary, patients_count, approved, pending, tokens, data)
    data.search_terms = sorted({d.generic_name[:3].lower() for d in formulary}
                               | {s[:3] for s in ("vitamin", "tablet", "ranolux", "novita")})
    return data


def _catalog(session, rng, formulary, count, data) -> None:
    today = utcnow().date()
    now = utcnow()
    otc = [d for d in formulary if d.rx_class == "otc"]
    products, lots = [], []
    for n in range(count):
        # The first products are one per OTC drug, with deep stock, for the checkout load.
        drug = otc[n] if n < len(otc) else formulary[n % len(formulary)]
        product_id = new_id("prd")
        pack = rng.choice(PACK_SIZES)
        products.append({"id": product_id, "sku": f"BENCH-{n:07d}", "drug_id": drug.id,
                         "name": f"{brand(rng)} {drug.generic_name.title()} {drug.strength} × {pack}",
                         # the search key is written from both names by the column's insert default
                         "name_zh": f"{brand_zh(rng)} {name_zh(drug)}×{pack}",
                         "pack_size": pack, "price_amount": rng.randrange(500, 30000, 10), "currency": "cny",
                         "active": True, "created_at": now, "updated_at": now})
        stock = CHECKOUT_STOCK if n < len(otc) else rng.randint(20, 400)
        for suffix, days in (("A", rng.randint(120, 400)), ("B", rng.randint(400, 900))):
            lots.append({"id": new_id("lot"), "product_id": product_id, "lot_number": f"L{n:07d}{suffix}",
                         "expiry_date": today + timedelta(days=days), "on_hand": stock, "reserved": 0,
                         "recalled": False, "received_at": now})
        if n < len(otc):
            data.otc_product_ids.append(product_id)
        if n % max(1, count // 1000) == 0:
            data.product_ids.append(product_id)
        if len(products) >= BATCH:
            _flush(session, products, lots)
    _flush(session, products, lots)


def _flush(session, products, lots) -> None:
    if products:
        session.execute(insert(Product), products)
    if lots:
        session.execute(insert(InventoryLot), lots)
    products.clear()
    lots.clear()


def _people(session, formulary, patients_count, approved, pending, tokens, data) -> None:
    doctors = [accounts.create(session=session, email=f"doctor{i}@bench.test", password=PASSWORD, role="doctor",
                               full_name=f"Doctor {i}", license_number=f"BENCH-DOC-{i}",
                               specialty="general practice") for i in range(10)]
    pharmacists = [accounts.create(session=session, email=f"pharmacist{i}@bench.test", password=PASSWORD,
                                   role="pharmacist", full_name=f"Pharmacist {i}",
                                   license_number=f"BENCH-PHA-{i}") for i in range(5)]
    people = [patients.register(session=session, email=f"patient{i}@bench.test", password=PASSWORD,
                                full_name=f"Patient {i}", birth_date=date(1950 + i % 50, 1 + i % 12, 1 + i % 28),
                                sex=("female", "male")[i % 2]) for i in range(patients_count)]
    session.flush()
    amoxicillin = next(d for d in formulary if d.id == "amoxicillin-500mg-cap")
    if approved + pending > len(people):
        raise ValueError("one prescription per patient: a second would be duplicate therapy")
    for n in range(approved + pending):
        patient, doctor = people[n % len(people)], doctors[n % len(doctors)]
        consultation = consultations.create(
            session=session, user=patient, chief_complaint="Sore throat, follow-up", symptoms=["sore throat"],
            is_follow_up=True, prior_diagnosis={"code": "J02.9", "display": "Acute pharyngitis"},
            prior_diagnosis_evidence={"institution": "Bench Hospital", "date": "2026-01-05",
                                      "document_reference": f"BENCH-OP-{n}"})
        consultations.accept(session=session, doctor=doctor, consultation_id=consultation.id)
        consultations.confirm_prior_diagnosis(session=session, doctor=doctor, consultation_id=consultation.id)
        prescription = prescriptions.create_draft(
            session=session, doctor=doctor, consultation_id=consultation.id,
            diagnosis={"code": "J02.9", "display": "Acute pharyngitis"},
            items=[{"drug_id": amoxicillin.id, "dose": 500, "dose_unit": "mg", "frequency_per_day": 3,
                    "route": "oral", "days_supply": 7, "quantity": 21, "refills": 0,
                    "instructions": "Take with water."}])
        prescriptions.sign(session=session, doctor=doctor, prescription_id=prescription.id)
        if n < approved:
            pharmacist = pharmacists[n % len(pharmacists)]
            review.claim(session=session, pharmacist=pharmacist, prescription_id=prescription.id)
            review.approve(session=session, pharmacist=pharmacist, prescription_id=prescription.id,
                           note="Checked.")
    data.patient_tokens = [accounts.issue_token(session=session, user=p)[0] for p in people[:tokens]]
    data.pharmacist_token = accounts.issue_token(session=session, user=pharmacists[0])[0]
