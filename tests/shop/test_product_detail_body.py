"""The product detail's body, pinned field by field: in stock and out of it, OTC and prescription-only."""

from tests.factories.shop import make_product

OTC_IN_STOCK = {
    "active": True,
    "available_quantity": 30,
    "drug": {
        "atc_code": "N02BE01",
        "brand_names_zh": [
            "泰诺林",
            "必理通"
        ],
        "cn_special_class": None,
        "form": "tablet",
        "generic_name": "paracetamol",
        "generic_name_zh": "对乙酰氨基酚",
        "id": "paracetamol-500mg-tab",
        "route": "oral",
        "rx_class": "otc",
        "strength": "500 mg",
        "synonyms": [
            "acetaminophen",
            "apap",
            "tylenol",
            "panadol",
            "扑热息痛"
        ],
        "us_schedule": None
    },
    "name": "Paracetamol 500 mg x20",
    "name_zh": "对乙酰氨基酚片",
    "needs_prescription": False,
    "online_sale": {
        "allowed": True,
        "citation": None,
        "reason": None,
        "rule": None
    },
    "pack_size": 20,
    "price": {
        "amount": 1200,
        "currency": "cny"
    },
    "risk_notice": None,
    "rx_class": "otc"
}

OTC_OUT_OF_STOCK = {
    "active": True,
    "available_quantity": 0,
    "drug": {
        "atc_code": "M01AE01",
        "brand_names_zh": [
            "芬必得"
        ],
        "cn_special_class": None,
        "form": "tablet",
        "generic_name": "ibuprofen",
        "generic_name_zh": "布洛芬",
        "id": "ibuprofen-200mg-tab",
        "route": "oral",
        "rx_class": "otc",
        "strength": "200 mg",
        "synonyms": [
            "advil",
            "motrin",
            "nurofen",
            "brufen"
        ],
        "us_schedule": None
    },
    "name": "Ibuprofen 200 mg x24",
    "name_zh": None,
    "needs_prescription": False,
    "online_sale": {
        "allowed": True,
        "citation": None,
        "reason": None,
        "rule": None
    },
    "pack_size": 20,
    "price": {
        "amount": 1200,
        "currency": "cny"
    },
    "risk_notice": None,
    "rx_class": "otc"
}

RX_IN_STOCK = {
    "active": True,
    "available_quantity": 12,
    "drug": {
        "atc_code": "J01CA04",
        "brand_names_zh": [
            "阿莫仙"
        ],
        "cn_special_class": None,
        "form": "capsule",
        "generic_name": "amoxicillin",
        "generic_name_zh": "阿莫西林",
        "id": "amoxicillin-500mg-cap",
        "route": "oral",
        "rx_class": "rx",
        "strength": "500 mg",
        "synonyms": [
            "amoxycillin",
            "amoxil"
        ],
        "us_schedule": None
    },
    "name": "Amoxicillin 500 mg x21",
    "name_zh": None,
    "needs_prescription": True,
    "online_sale": {
        "allowed": True,
        "citation": None,
        "reason": None,
        "rule": None
    },
    "pack_size": 20,
    "price": {
        "amount": 3450,
        "currency": "cny"
    },
    "risk_notice": "处方药须凭处方在药师指导下购买和使用",
    "rx_class": "rx"
}


def shown(client, product):
    body = client.get(f"/api/v1/products/{product.id}").json
    assert (body.pop("id"), body.pop("sku")) == (product.id, product.sku)
    return body


def test_an_otc_product_in_stock_is_shown_with_its_drug_price_and_stock(client, session):
    product = make_product(session, "paracetamol-500mg-tab", stock=30, name="Paracetamol 500 mg x20",
                           name_zh="对乙酰氨基酚片")
    assert shown(client, product) == OTC_IN_STOCK


def test_an_otc_product_out_of_stock_shows_none_available(client, session):
    product = make_product(session, "ibuprofen-200mg-tab", stock=0, name="Ibuprofen 200 mg x24")
    assert shown(client, product) == OTC_OUT_OF_STOCK


def test_a_prescription_only_product_carries_its_risk_notice(client, session):
    product = make_product(session, "amoxicillin-500mg-cap", stock=12, name="Amoxicillin 500 mg x21", price=3450)
    assert shown(client, product) == RX_IN_STOCK
