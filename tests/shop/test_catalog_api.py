"""The catalog: search by name, generic name and ATC code; Rx products shown apart."""

from tests.factories.shop import make_product


def test_search_matches_product_name_generic_name_and_atc_prefix(session, client):
    make_product(session, "paracetamol-500mg-tab", name="Panadol 500 mg x20")
    names = lambda q: [p["name"] for p in client.get(f"/api/v1/products?q={q}").json["items"]]  # noqa: E731
    assert "Panadol 500 mg x20" in names("panadol")
    assert "Panadol 500 mg x20" in names("PARACET")
    assert "Panadol 500 mg x20" in names("N02BE")


def test_rx_products_carry_the_prescription_notice(session, client):
    from tests.factories.consult import AMOXICILLIN

    product = make_product(session, AMOXICILLIN)
    shown = client.get(f"/api/v1/products/{product.id}").json
    assert shown["needs_prescription"] is True
    assert shown["risk_notice"] == "处方药须凭处方在药师指导下购买和使用"
    otc = client.get(f"/api/v1/products/{make_product(session).id}").json
    assert otc["needs_prescription"] is False and otc["risk_notice"] is None


def test_the_rx_class_filter(session, client):
    from tests.factories.consult import AMOXICILLIN

    make_product(session, AMOXICILLIN)
    make_product(session)
    classes = {p["drug"]["rx_class"] for p in client.get("/api/v1/products?rx_class=otc&limit=100").json["items"]}
    assert classes == {"otc"}


def test_available_quantity_counts_only_sellable_units(session, client):
    from tests.factories.shop import add_lot

    product = make_product(session, stock=5)
    add_lot(session, product, 7, recalled=True)
    add_lot(session, product, 9, expiry_days=-3)
    assert client.get(f"/api/v1/products/{product.id}").json["available_quantity"] == 5


def test_admins_create_and_update_products_and_receive_and_recall_lots(session, login_as):
    from tests.factories.consult import ensure_formulary

    ensure_formulary(session)
    admin, pharmacist = login_as("admin"), login_as("pharmacist")
    created = admin.post("/api/v1/products", json={
        "sku": "PCM-500-20", "name": "Paracetamol 500 mg x20", "drug_id": "paracetamol-500mg-tab",
        "pack_size": 20, "price": {"amount": 990, "currency": "cny"}})
    assert created.status_code == 201
    product_id = created.json["id"]
    assert admin.post("/api/v1/products", json={
        "sku": "PCM-500-20", "name": "dup", "drug_id": "paracetamol-500mg-tab", "pack_size": 20,
        "price": {"amount": 990, "currency": "cny"}}).status_code == 409
    patched = admin.patch(f"/api/v1/products/{product_id}", json={"price": {"amount": 890, "currency": "cny"}})
    assert patched.json["price"] == {"amount": 890, "currency": "cny"}
    lot = pharmacist.post("/api/v1/inventory/lots", json={
        "product_id": product_id, "lot_number": "B123", "expiry_date": "2099-01-31", "quantity": 50})
    assert lot.status_code == 201
    assert admin.get(f"/api/v1/products/{product_id}").json["available_quantity"] == 50
    recalled = pharmacist.post(f"/api/v1/inventory/lots/{lot.json['id']}/recall", json={"reason": "contamination"})
    assert recalled.status_code == 200 and recalled.json["lot"]["recalled"] is True
    assert admin.get(f"/api/v1/products/{product_id}").json["available_quantity"] == 0
    assert login_as("patient").post("/api/v1/products", json={}).status_code == 403


def test_search_matches_inside_a_name_and_treats_wildcards_as_letters(session, client):
    make_product(session, name="Calpol Six Plus 250 mg")
    make_product(session, name="Discount 100% pack")
    names = lambda q: [p["name"] for p in client.get("/api/v1/products", query_string={"q": q}).json["items"]]  # noqa: E731
    assert "Calpol Six Plus 250 mg" in names("six p")
    assert names("0%") == ["Discount 100% pack"]
    assert names("%_%") == []


def test_under_cn_the_catalog_says_why_a_product_is_not_sold_online(session, client):
    shown = client.get(f"/api/v1/products/{make_product(session, 'digoxin-0.25mg-tab').id}").json
    assert shown["online_sale"] == {
        "allowed": False, "rule": "cn.online-sale-prohibited",
        "citation": "国家药监局关于发布药品网络销售禁止清单（第一版）的公告（2022年第111号） 二（四）",
        "reason": "digoxin is on China's list of drugs that may not be sold online (by name): "
                  "fill the prescription at a pharmacy in person."}
    otc = client.get(f"/api/v1/products/{make_product(session).id}").json
    assert otc["online_sale"] == {"allowed": True, "rule": None, "citation": None, "reason": None}


def test_a_search_page_says_for_each_pack_whether_its_own_drug_is_sold_online(session, client):
    for name in ("Lanoxin 0.25 mg A", "Lanoxin 0.25 mg B"):
        make_product(session, "digoxin-0.25mg-tab", name=name)
    make_product(session, name="Lanoxin-free paracetamol")
    shown = {p["name"]: p["online_sale"]["allowed"]
             for p in client.get("/api/v1/products", query_string={"q": "lanoxin"}).json["items"]}
    assert shown == {"Lanoxin 0.25 mg A": False, "Lanoxin 0.25 mg B": False, "Lanoxin-free paracetamol": True}


def test_under_us_the_catalog_sells_what_the_cn_list_forbids(session, client, us_policy):
    shown = client.get(f"/api/v1/products/{make_product(session, 'digoxin-0.25mg-tab').id}").json
    assert shown["online_sale"] == {"allowed": True, "rule": None, "citation": None, "reason": None}
