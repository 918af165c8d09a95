"""Messages in Chinese for `Accept-Language: zh-CN`, English by default; codes, slugs and rule ids never change.

Every message marked in the code (extracted at test time with babel, as `make messages` does) has a
Chinese translation in core/translations/zh; answers are UTF-8 JSON, Chinese never escaped."""

import re

import pytest

from tests.factories.consult import AMOXICILLIN, consultation_in_progress, item
from tests.factories.shop import ADDRESS, make_product
from tests.support.catalogues import catalogue, extracted

ZH = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
PLACEHOLDERS = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def placeholders(text: str) -> set[str]:
    return {percent or brace for percent, brace in PLACEHOLDERS.findall(text)}


def test_every_user_facing_message_has_a_chinese_translation():
    zh = catalogue("zh")
    untranslated = {msgid: where for msgid, where in extracted().items()
                    if zh.get(msgid) is None or not zh.get(msgid).string or zh.get(msgid).fuzzy}
    assert untranslated == {}, "run `make messages` and translate these in core/translations/zh"


def test_a_translation_fills_only_placeholders_its_message_has():
    wrong = {m.id: m.string for m in catalogue("zh") if m.id and not placeholders(m.string) <= placeholders(m.id)}
    assert wrong == {}


def test_the_catalogue_keeps_no_message_the_code_no_longer_has():
    assert {m.id for m in catalogue("zh") if m.id} - set(extracted()) == set()


def test_problems_are_in_chinese_for_zh_cn_and_in_english_otherwise(client):
    zh = client.get("/api/v1/products/prd-none", headers=ZH)
    assert (zh.status_code, zh.json["type"], zh.json["title"], zh.json["detail"]) == (
        404, "/problems/not-found", "未找到", "商品不存在。")
    for headers in ({}, {"Accept-Language": "fr-FR"}, {"Accept-Language": "en-GB"}):
        en = client.get("/api/v1/products/prd-none", headers=headers)
        assert (en.json["title"], en.json["detail"]) == ("Not found", "No such product.")


def test_validation_messages_are_in_chinese_and_field_paths_stay_as_they_are(login_as):
    patient = login_as("patient")
    answer = patient.post("/api/v1/consultations", json={"symptoms": "cough", "is_follow_up": "no"}, headers=ZH)
    assert answer.status_code == 422
    assert answer.json["title"] == "校验错误"
    assert answer.json["errors"] == {"chief_complaint": ["缺少必填字段。"], "symptoms": ["不是有效的列表。"],
                                     "is_follow_up": ["不是有效的布尔值。"]}
    limit = patient.get("/api/v1/products?limit=0", headers=ZH)
    assert limit.json["errors"] == {"limit": ["必须大于或等于 1 且小于或等于 100。"]}


@pytest.fixture
def shelf(session):
    return {"otc": make_product(session, "paracetamol-500mg-tab", stock=10),
            "rx": make_product(session, AMOXICILLIN, pack_size=21, stock=10)}


def order(*lines):
    return {"items": [{"product_id": p.id, "quantity": q} for p, q in lines], "shipping_address": ADDRESS}


def test_a_refused_rx_checkout_says_so_in_chinese_with_the_same_slug_and_body(login_as, shelf):
    patient = login_as("patient")
    answers = {lang: patient.post("/api/v1/orders", json=order((shelf["rx"], 1)),
                                  headers={"Idempotency-Key": f"zh-rx-{lang}-0001", **headers})
               for lang, headers in (("zh", ZH), ("en", {}))}
    zh, en = answers["zh"].json, answers["en"].json
    assert answers["zh"].status_code == answers["en"].status_code == 409
    assert zh["type"] == en["type"] == "/problems/prescription-required"
    assert zh["title"] == "需要处方" and en["title"] == "Prescription required"
    assert zh["consultation_request"] == en["consultation_request"]
    assert zh["errors"].keys() == en["errors"].keys()
    assert zh["errors"]["items.0.prescription_id"] == ["需要您本人已审核通过、在有效期内且涵盖此数量的处方。"]


def test_out_of_stock_is_in_chinese(login_as, shelf):
    answer = login_as("patient").post("/api/v1/orders", json=order((shelf["otc"], 11)),
                                      headers={"Idempotency-Key": "zh-stock-00001", **ZH})
    assert (answer.status_code, answer.json["type"], answer.json["title"], answer.json["detail"]) == (
        409, "/problems/out-of-stock", "库存不足", "该商品库存不足。")


def test_a_first_visit_referred_offline_gives_its_rule_unchanged_and_its_reason_in_chinese(login_as):
    visit = {"chief_complaint": "新出现的皮疹", "symptoms": ["皮疹"], "is_follow_up": False}
    zh = login_as("patient").post("/api/v1/consultations", json=visit, headers=ZH).json
    en = login_as("patient").post("/api/v1/consultations", json=visit).json
    assert zh["status"] == en["status"] == "referred_offline"
    (zh_reason,), (en_reason,) = zh["triage"]["reasons"], en["triage"]["reasons"]
    assert zh_reason["rule"] == en_reason["rule"] == "cn.online-follow-up-only"
    assert zh_reason["citation"] == en_reason["citation"]
    assert zh_reason["message"] == "互联网诊疗仅限于已在线下确诊疾病的复诊：请先到医院或诊所就诊。"
    assert en_reason["message"].startswith("Online consultations are only for follow-up")


def test_a_red_flag_keeps_its_code_and_is_shown_in_the_readers_language(login_as):
    patient = login_as("patient")
    created = patient.post("/api/v1/consultations", json={
        "chief_complaint": "胸痛", "symptoms": ["chest pain"], "is_follow_up": True,
        "prior_diagnosis": {"code": "I20.9", "display": "Angina"}})
    reasons_in = {lang: patient.get(f"/api/v1/consultations/{created.json['id']}", headers=headers).json[
        "triage"]["reasons"] for lang, headers in (("zh", ZH), ("en", {}))}
    assert [r["code"] for r in reasons_in["zh"]] == [r["code"] for r in reasons_in["en"]] == ["chest-pain"]
    assert reasons_in["zh"][0]["message"].startswith("胸痛或胸部压迫感可能是心肌梗死")
    assert reasons_in["en"][0]["message"].startswith("Chest pain or pressure can be a heart attack")


def test_a_blocking_finding_keeps_its_code_and_rule_and_speaks_chinese(session, login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    patient.put("/api/v1/patients/me", json={"allergies": [{"substance": "penicillin"}]})
    consultation = consultation_in_progress(session, patient.user, doctor.user)
    body = {"items": [item()], "diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"}}
    url = f"/api/v1/consultations/{consultation.id}/prescriptions"
    zh = doctor.post(url, json=body, headers=ZH).json["safety"]["blocking"]
    en = doctor.post(url, json=body).json["safety"]["blocking"]
    assert [(f["code"], f["rule"], f["severity"], f["drugs"]) for f in zh] == \
           [(f["code"], f["rule"], f["severity"], f["drugs"]) for f in en] == \
           [("DA", "DA.group", "blocking", [AMOXICILLIN])]
    assert zh[0]["message"].startswith("有记录的 penicillin 过敏史：阿莫西林 属于同一类药物")
    assert en[0]["message"].startswith("Documented allergy to penicillin: amoxicillin belongs to the same group")


def test_the_catalogue_names_a_drug_not_sold_online_in_chinese(session, client):
    product = make_product(session, "digoxin-0.25mg-tab")
    zh = client.get(f"/api/v1/products/{product.id}", headers=ZH).json["online_sale"]
    assert zh["rule"] == "cn.online-sale-prohibited"
    assert zh["reason"] == "地高辛 列入《药品网络销售禁止清单》（按品名），不得在网上销售：请持处方到实体药店购买。"


def test_json_answers_are_utf8_never_ascii_escaped(session, client):
    product = make_product(session, AMOXICILLIN, name_zh="阿莫西林胶囊 0.5g×21粒")
    shown = client.get(f"/api/v1/products/{product.id}")
    assert shown.mimetype == "application/json"
    assert "阿莫西林胶囊".encode() in shown.data and "处方药须凭处方".encode() in shown.data
    assert b"\\u" not in shown.data
    problem = client.get("/api/v1/products/prd-none", headers=ZH)
    assert problem.mimetype == "application/problem+json"
    assert "商品不存在".encode() in problem.data and b"\\u" not in problem.data


def test_routing_errors_speak_chinese_too(client):
    missing = client.get("/api/v1/no-such-thing", headers=ZH)
    assert (missing.status_code, missing.json["title"], missing.json["detail"]) == (
        404, "未找到", "此地址没有内容，或其内容不属于您可查看的范围。")
    wrong = client.delete("/api/v1/products", headers=ZH)
    assert (wrong.status_code, wrong.json["title"]) == (405, "不允许的请求方法")
    assert wrong.json["detail"].startswith("该地址存在，但不接受此 HTTP 方法")


def test_a_referral_recorded_in_chinese_reads_in_english_for_an_english_reader(login_as):
    patient = login_as("patient")
    created = patient.post("/api/v1/consultations", headers=ZH, json={
        "chief_complaint": "新出现的皮疹", "symptoms": ["皮疹"], "is_follow_up": False}).json
    shown = patient.get(f"/api/v1/consultations/{created['id']}").json["triage"]["reasons"]
    assert shown[0]["message"].startswith("Online consultations are only for follow-up")


def test_fhir_answers_are_utf8_never_ascii_escaped(login_as):
    outcome = login_as("patient").get("/fhir/R4/MedicationRequest/nope", headers=ZH)
    assert (outcome.status_code, outcome.mimetype) == (404, "application/fhir+json")
    assert outcome.json["issue"][0]["code"] == "not-found"
    assert "MedicationRequest 不存在。".encode() in outcome.data and b"\\u" not in outcome.data


def test_a_dose_finding_names_the_drug_its_limit_and_its_amounts_in_chinese(session, login_as):
    patient, doctor = login_as("patient"), login_as("doctor")
    consultation = consultation_in_progress(session, patient.user, doctor.user)
    body = {"items": [item(dose=2000, quantity=84)], "diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"}}
    url = f"/api/v1/consultations/{consultation.id}/prescriptions"
    zh = doctor.post(url, json=body, headers=ZH).json["safety"]["warnings"]
    en = doctor.post(url, json=body).json["safety"]["warnings"]
    assert [(f["code"], f["rule"], f["drugs"]) for f in zh] == [(f["code"], f["rule"], f["drugs"]) for f in en] == \
           [("HD", "HD.above-maximum", [AMOXICILLIN])]
    assert zh[0]["message"] == "阿莫西林：每日 6000 mg，超过成人最大剂量 3 g/day（每日 3000 mg）。"
    assert en[0]["message"] == "amoxicillin: 6000 mg a day is above the adult maximum 3 g/day (3000 mg a day)."
