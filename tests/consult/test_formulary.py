"""The formulary data: every required drug, right facts and sources, and a bad row fails loudly."""

import copy
import re

import pytest
import yaml

from consult.formulary import (
    ATC_CODE, DATA_DIR, FormularyError, get_formulary, load_formulary, normalise,
)

REQUIRED_GENERICS = [
    "amoxicillin", "amoxicillin + clavulanic acid", "azithromycin", "clarithromycin", "cefuroxime", "cefalexin",
    "ciprofloxacin", "levofloxacin", "doxycycline", "metronidazole", "sulfamethoxazole + trimethoprim",
    "nitrofurantoin", "fluconazole", "itraconazole", "ketoconazole", "rifampicin", "amlodipine", "nifedipine",
    "lisinopril", "enalapril", "losartan", "valsartan", "hydrochlorothiazide", "spironolactone", "furosemide",
    "potassium chloride", "metoprolol", "bisoprolol", "atorvastatin", "simvastatin", "rosuvastatin", "warfarin",
    "clopidogrel", "aspirin", "digoxin", "amiodarone", "isosorbide mononitrate", "nitroglycerin", "metformin",
    "gliclazide", "empagliflozin", "levothyroxine", "ibuprofen", "naproxen", "diclofenac", "paracetamol",
    "tramadol", "codeine", "omeprazole", "pantoprazole", "loperamide", "salbutamol", "montelukast", "cetirizine",
    "loratadine", "prednisone", "sertraline", "fluoxetine", "paroxetine", "citalopram", "escitalopram",
    "amitriptyline", "phenelzine", "selegiline", "lithium carbonate", "carbamazepine", "phenytoin", "diazepam",
    "alprazolam", "zolpidem", "sumatriptan", "sildenafil", "tadalafil", "allopurinol", "colchicine",
    "methotrexate", "isotretinoin", "finasteride", "ethinylestradiol + levonorgestrel", "tamsulosin",
]
# (generic, US schedule, China special-management class): 21 CFR 1308.12–14; 精神药品/麻醉药品品种目录.
CONTROLLED = [("tramadol", "IV", "psychotropic-2"), ("codeine", "II", "narcotic"),
              ("diazepam", "IV", "psychotropic-2"), ("alprazolam", "IV", "psychotropic-2"),
              ("zolpidem", "IV", "psychotropic-2")]
OTC = ["paracetamol-500mg-tab", "ibuprofen-200mg-tab", "naproxen-220mg-tab", "aspirin-100mg-tab",
       "aspirin-500mg-tab", "loratadine-10mg-tab", "cetirizine-10mg-tab", "loperamide-2mg-cap",
       "omeprazole-20mg-cap", "pantoprazole-20mg-tab"]
ATC = {"amoxicillin-500mg-cap": "J01CA04", "amoxicillin-clavulanate-500-125mg-tab": "J01CR02",
       "simvastatin-20mg-tab": "C10AA01", "warfarin-3mg-tab": "B01AA03", "aspirin-100mg-tab": "B01AC06",
       "aspirin-500mg-tab": "N02BA01", "paracetamol-500mg-tab": "N02BE01", "sertraline-50mg-tab": "N06AB06",
       "sildenafil-50mg-tab": "G04BE03", "metformin-500mg-tab": "A10BA02", "levothyroxine-50mcg-tab": "H03AA01",
       "nitroglycerin-0.5mg-sl-tab": "C01DA02", "methotrexate-2.5mg-tab": "L04AX03"}


@pytest.fixture(scope="module")
def formulary():
    return get_formulary()


# ---- the shipped data ------------------------------------------------------------------

def test_the_shipped_formulary_loads_and_is_cached(formulary):
    assert get_formulary() is formulary
    assert formulary.version == "2026.11.1"
    assert len(formulary.drugs) >= 80 and len(formulary.interactions) >= 120


@pytest.mark.parametrize("generic", REQUIRED_GENERICS)
def test_every_required_generic_is_in_the_formulary(formulary, generic):
    assert any(d.generic_name == generic for d in formulary.drugs.values())


def test_aspirin_has_a_low_dose_antiplatelet_and_an_analgesic_entry(formulary):
    low, analgesic = formulary.drugs["aspirin-100mg-tab"], formulary.drugs["aspirin-500mg-tab"]
    assert (low.therapeutic_class, low.atc_code) == ("antiplatelet-aspirin", "B01AC06")
    assert (analgesic.therapeutic_class, analgesic.atc_code) == ("nsaid", "N02BA01")


@pytest.mark.parametrize("generic, schedule, special", CONTROLLED)
def test_scheduled_drugs_are_controlled_in_both_jurisdictions(formulary, generic, schedule, special):
    drug = next(d for d in formulary.drugs.values() if d.generic_name == generic)
    assert (drug.rx_class, drug.us_schedule, drug.cn_special_class) == ("controlled", schedule, special)


def test_only_scheduled_drugs_are_controlled(formulary):
    controlled = {d.generic_name for d in formulary.drugs.values() if d.rx_class == "controlled"}
    assert controlled == {generic for generic, _, _ in CONTROLLED}


@pytest.mark.parametrize("drug_id", OTC)
def test_common_over_the_counter_drugs_are_otc(formulary, drug_id):
    assert formulary.drugs[drug_id].rx_class == "otc"


@pytest.mark.parametrize("drug_id, atc", ATC.items())
def test_atc_codes_match_the_who_index(formulary, drug_id, atc):
    assert formulary.drugs[drug_id].atc_code == atc


def test_every_drug_has_a_valid_atc_code_a_max_dose_or_a_reason_and_sources(formulary):
    for drug in formulary.drugs.values():
        assert ATC_CODE.match(drug.atc_code), drug.id
        assert drug.max_daily_dose_adult or drug.max_daily_dose_not_established, drug.id
        facts = dict(drug.sources)
        assert {"atc", "legal", "dose", "pregnancy"} <= set(facts), drug.id
        assert drug.min_age is None or "age" in facts, drug.id


def test_drug_ids_are_stable_slugs_naming_generic_strength_and_form(formulary):
    for drug_id, drug in formulary.drugs.items():
        assert re.fullmatch(r"[a-z0-9.-]+-(tab|cap|mr-tab|mr-cap|sl-tab|inhaler)", drug_id), drug_id
        assert drug.id == drug_id


def test_the_ids_other_code_relies_on_exist(formulary):
    assert {"amoxicillin-500mg-cap", "paracetamol-500mg-tab", "ibuprofen-400mg-tab"} <= set(formulary.drugs)


@pytest.mark.parametrize("drug_id, months, severity", [
    ("codeine-30mg-tab", 144, "blocking"), ("tramadol-50mg-cap", 144, "blocking"),
    ("aspirin-500mg-tab", 192, "blocking"), ("ciprofloxacin-500mg-tab", 216, "warning"),
    ("levofloxacin-500mg-tab", 216, "warning"), ("doxycycline-100mg-tab", 96, "warning"),
    ("loperamide-2mg-cap", 24, "blocking"), ("sulfamethoxazole-trimethoprim-800-160mg-tab", 2, "blocking"),
])
def test_minimum_ages_follow_the_labels(formulary, drug_id, months, severity):
    assert (formulary.drugs[drug_id].min_age.months, formulary.drugs[drug_id].min_age.severity) == (months, severity)


@pytest.mark.parametrize("drug_id", ["isotretinoin-20mg-cap", "warfarin-3mg-tab", "methotrexate-2.5mg-tab",
                                     "lisinopril-10mg-tab", "losartan-50mg-tab", "finasteride-5mg-tab"])
def test_teratogens_are_contraindicated_in_pregnancy(formulary, drug_id):
    assert formulary.drugs[drug_id].pregnancy == "contraindicated"


@pytest.mark.parametrize("drug_id", ["atorvastatin-20mg-tab", "simvastatin-20mg-tab", "rosuvastatin-10mg-tab"])
def test_statins_follow_the_fda_2021_labelling_in_the_us_and_the_chinese_labels_in_china(formulary, drug_id):
    drug = formulary.drugs[drug_id]
    assert (drug.pregnancy_under("us"), drug.pregnancy_under("cn")) == (
        ("caution", "pregnancy"), ("contraindicated", "pregnancy-cn"))
    assert dict(drug.sources)["pregnancy"].startswith("FDA-DSC: 2021-07-20")
    assert drug.teratogen is None


def test_methotrexate_has_a_weekly_not_a_daily_maximum(formulary):
    limit = formulary.drugs["methotrexate-2.5mg-tab"].max_daily_dose_adult
    assert (limit.amount, limit.unit, limit.period) == (25, "mg", "week")


def test_every_interaction_class_and_allergy_group_has_members(formulary):
    classes = {c for d in formulary.drugs.values() for c in d.interaction_classes}
    assert classes == set(formulary.interaction_classes)
    for group in formulary.allergy_groups.values():
        assert any(group.id in d.allergy_groups for d in formulary.drugs.values()), group.id


# ---- the interaction table, audited pair by pair ---------------------------------------------

_CITED = re.compile(r";\s*(?=[A-Z][A-Z0-9-]*(?::|;|\s*$))")


def test_every_interaction_rule_has_a_known_severity_a_mechanism_advice_and_a_cited_source(formulary):
    assert len(formulary.interactions) >= 134 and len(formulary.pairs) >= 415
    for rule in formulary.interactions:
        assert rule.severity in ("contraindicated", "major", "moderate"), rule.id
        assert rule.effect.strip() and rule.management.strip(), rule.id
        keys = [part.split(":", 1)[0].strip() for part in _CITED.split(rule.source)]
        assert keys and set(keys) <= set(formulary.references), rule.id
        assert rule.dose_condition is None or rule.dose_condition.otherwise in (
            None, "major", "moderate"), rule.id
    for pair, rules in formulary.pairs.items():
        assert rules and all(r.source for r in rules), pair


@pytest.mark.parametrize("citalopram_mg, severity", [(20, "moderate"), (40, "major")])
def test_citalopram_with_a_cyp2c19_inhibitor_is_major_above_the_labels_20_mg(citalopram_mg, severity):
    from tests.consult.test_safety import item, run
    findings = run([item("citalopram-20mg-tab", dose=citalopram_mg, unit="mg"), item("omeprazole-20mg-cap")])
    assert [f.message.split(": ")[1].split(".")[0] for f in findings if f.rule == "DD.interaction-table"] == [
        f"{severity} interaction"]


# ---- lookups ---------------------------------------------------------------------------

def test_interactions_between_is_symmetric(formulary):
    for a, b in formulary.pairs:
        assert formulary.interactions_between(a, b) == formulary.interactions_between(b, a)


def test_interactions_list_the_most_severe_rule_first(formulary):
    rules = formulary.interactions_between("clarithromycin-500mg-tab", "colchicine-0.5mg-tab")
    assert rules[0].severity == "contraindicated"


def test_no_interaction_is_recorded_inside_one_therapeutic_class(formulary):
    for a, b in formulary.pairs:
        assert formulary.drugs[a].therapeutic_class != formulary.drugs[b].therapeutic_class


@pytest.mark.parametrize("text, expected", [
    ("Sertraline", ["sertraline-50mg-tab"]),
    ("sertraline 50mg once daily", ["sertraline-50mg-tab"]),
    ("ACETAMINOPHEN", ["paracetamol-500mg-tab"]),
    ("Lipitor 20 mg", ["atorvastatin-20mg-tab"]),
    ("aspirin", ["aspirin-100mg-tab", "aspirin-500mg-tab"]),
    ("aspirin 100 mg", ["aspirin-100mg-tab"]),
    ("阿司匹林肠溶片", ["aspirin-100mg-tab"]),
    ("amoxicillin", ["amoxicillin-500mg-cap"]),
    ("amoxicillin/clavulanate 875", ["amoxicillin-clavulanate-500-125mg-tab"]),
    ("艾司西酞普兰", ["escitalopram-10mg-tab"]),
    ("warfarin-3mg-tab", ["warfarin-3mg-tab"]),
    ("vitamin D", []),
    ("", []),
])
def test_find_by_name_matches_generic_names_and_synonyms_case_insensitively(formulary, text, expected):
    assert [d.id for d in formulary.find_by_name(text)] == expected


def test_find_by_name_needs_whole_words(formulary):
    assert formulary.find_by_name("pseudoaspirin") == []


@pytest.mark.parametrize("substance, groups, ingredients", [
    ("Penicillin", {"penicillins"}, set()),
    ("青霉素", {"penicillins"}, set()),
    ("sulfa", {"sulfonamide-antibiotics"}, set()),
    ("磺胺类", {"sulfonamide-antibiotics"}, set()),
    ("NSAIDs", {"nsaids"}, set()),
    ("beta-lactams", {"penicillins", "cephalosporins"}, set()),
    ("amoxicillin", {"penicillins"}, {"amoxicillin"}),
    ("Bactrim", {"sulfonamide-antibiotics"}, {"sulfamethoxazole", "trimethoprim"}),
    ("peanuts", set(), set()),
    ("sulfite", set(), set()),
])
def test_allergy_free_text_maps_to_groups_and_ingredients(formulary, substance, groups, ingredients):
    match = formulary.match_allergy(substance)
    assert (set(match.groups), set(match.ingredients)) == (groups, ingredients)


# ---- a bad row fails loudly --------------------------------------------------------------

def _minimal():
    """The smallest valid formulary: two drugs, one interaction, one allergy group."""
    drug = {"id": "aaa-1mg-tab", "generic_name": "aaa", "generic_name_zh": "甲药", "strength": "1 mg", "strength_amount": 1,
            "strength_unit": "mg", "form": "tablet", "route": "oral", "atc_code": "A01AA01", "rx_class": "rx",
            "us_schedule": None, "cn_special_class": None, "therapeutic_class": "alpha",
            "interaction_classes": ["klass"], "max_daily_dose_adult": {"amount": 4, "unit": "mg"},
            "pregnancy": "none", "allergy_groups": ["grp"],
            "sources": {"atc": "REF", "legal": "REF", "dose": "REF: detail", "pregnancy": "REF"}}
    other = {**copy.deepcopy(drug), "id": "bbb-2mg-tab", "generic_name": "bbb", "generic_name_zh": "乙药", "atc_code": "B01AA02",
             "therapeutic_class": "beta", "interaction_classes": [], "allergy_groups": []}
    return {
        "references.yaml": {"version": "1", "references": {"REF": "A reference"}},
        "drugs.yaml": {"version": "1", "drugs": [drug, other]},
        "interactions.yaml": {"version": "1", "classes": {"klass": {"description": "d", "source": "REF"}},
                              "interactions": [{"id": "klass-bbb", "between": ["klass", "bbb"],
                                                "severity": "major", "effect": "e", "management": "m",
                                                "source": "REF"}]},
        "allergy_terms.yaml": {"version": "1", "groups": {"grp": {"label": "G", "terms": ["g"],
                                                                  "member_severity": "blocking",
                                                                  "source": "REF"}}},
        "disease_rules.yaml": {"version": "1"},
    }


def _write(directory, files):
    for name, data in files.items():
        (directory / name).write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return directory


def _drug(files, n=0):
    return files["drugs.yaml"]["drugs"][n]


def _rule(files):
    return files["interactions.yaml"]["interactions"][0]


BAD_ROWS = {
    "unknown rx_class 'prescription'": lambda f: _drug(f).update(rx_class="prescription"),
    "missing max dose": lambda f: _drug(f).update(max_daily_dose_adult=None),
    "missing max_daily_dose_adult": lambda f: _drug(f).pop("max_daily_dose_adult"),
    "bad ATC code 'J01CA4'": lambda f: _drug(f).update(atc_code="J01CA4"),
    "bad ATC code 'X01AA01'": lambda f: _drug(f).update(atc_code="X01AA01"),
    "duplicate id": lambda f: f["drugs.yaml"]["drugs"].append(copy.deepcopy(_drug(f))),
    "'nobody' is neither an ingredient, a drug id nor an interaction class":
        lambda f: _rule(f).update(between=["klass", "nobody"]),
    "severity 'severe' is not one of": lambda f: _rule(f).update(severity="severe"),
    "unknown interaction class 'ghost'": lambda f: _drug(f).update(interaction_classes=["ghost"]),
    "unknown allergy group(s) ghosts": lambda f: _drug(f).update(allergy_groups=["ghosts"]),
    "controlled` if and only if": lambda f: _drug(f).update(rx_class="controlled"),
    "us_schedule 'VI'": lambda f: _drug(f, 1).update(rx_class="controlled", us_schedule="VI"),
    "unknown reference 'BOOK'": lambda f: _drug(f)["sources"].update(dose="BOOK: p. 1"),
    "no source for pregnancy": lambda f: _drug(f)["sources"].pop("pregnancy"),
    "min_age needs exactly one of years/months": lambda f: _drug(f).update(
        min_age={"years": 12, "months": 3, "severity": "blocking", "reason": "r"}),
    "min_age severity must be blocking or warning": lambda f: _drug(f).update(
        min_age={"years": 12, "severity": "avoid", "reason": "r"}),
    "unit 'tablets' is not one of": lambda f: _drug(f).update(max_daily_dose_adult={"amount": 4, "unit": "tablets"}),
    "amount must be positive": lambda f: _drug(f).update(max_daily_dose_adult={"amount": -1, "unit": "mg"}),
    "pregnancy other than none needs a pregnancy_note": lambda f: _drug(f).update(pregnancy="caution"),
    "unknown field(s) max_daily": lambda f: _drug(f).update(max_daily={"amount": 1, "unit": "mg"}),
    "covers no pair of different drugs": lambda f: _rule(f).update(between=["aaa", "klass"]),
    "version '2' differs": lambda f: f["interactions.yaml"].update(version="2"),
    "cross_reactivity names unknown group 'nope'": lambda f: f["allergy_terms.yaml"]["groups"]["grp"].update(
        cross_reactivity=[{"group": "nope", "severity": "warning", "note": "n", "source": "REF"}]),
    "dose_condition ingredient 'zzz' is on neither side": lambda f: _rule(f).update(
        dose_condition={"ingredient": "zzz", "above": {"amount": 1, "unit": "mg"}, "otherwise": None}),
    "also names 'aaa': ambiguous": lambda f: _drug(f, 1).update(synonyms=["aaa"]),
}


def test_the_minimal_formulary_is_valid(tmp_path):
    formulary = load_formulary(_write(tmp_path, _minimal()))
    assert [r.id for r in formulary.interactions_between("bbb-2mg-tab", "aaa-1mg-tab")] == ["klass-bbb"]


@pytest.mark.parametrize("problem", BAD_ROWS)
def test_a_bad_row_fails_loudly_naming_file_row_and_problem(tmp_path, problem):
    files = _minimal()
    BAD_ROWS[problem](files)
    with pytest.raises(FormularyError) as error:
        load_formulary(_write(tmp_path, files))
    message = str(error.value)
    assert problem in message
    assert re.match(r"^(drugs|interactions|allergy_terms|references|disease_rules)\.yaml: ", message)


def test_a_row_error_names_the_drug_id_and_row_number(tmp_path):
    files = _minimal()
    _drug(files, 1)["rx_class"] = "prescription"
    with pytest.raises(FormularyError, match=r"^drugs\.yaml: drug 'bbb-2mg-tab' \(row 2\): unknown rx_class"):
        load_formulary(_write(tmp_path, files))


def test_a_duplicate_yaml_key_is_refused_not_silently_overwritten(tmp_path):
    _write(tmp_path, _minimal())
    path = tmp_path / "references.yaml"
    path.write_text("version: '1'\nreferences:\n  REF: one\n  REF: two\n", encoding="utf-8")
    with pytest.raises(FormularyError, match=r"references\.yaml: duplicate key 'REF'"):
        load_formulary(tmp_path)


def test_a_missing_file_or_version_is_refused(tmp_path):
    _write(tmp_path, _minimal())
    (tmp_path / "allergy_terms.yaml").unlink()
    with pytest.raises(FormularyError, match="allergy_terms.yaml: file not found"):
        load_formulary(tmp_path)
    _write(tmp_path, {**_minimal(), "allergy_terms.yaml": {"groups": {}}})
    with pytest.raises(FormularyError, match="allergy_terms.yaml: needs a top-level mapping with a `version:`"):
        load_formulary(tmp_path)


def test_the_shipped_files_each_declare_the_same_version():
    for name in ("references.yaml", "drugs.yaml", "interactions.yaml", "allergy_terms.yaml", "disease_rules.yaml"):
        head = (DATA_DIR / name).read_text(encoding="utf-8").split("\n\n")[0]  # the header, up to the first blank line
        assert yaml.safe_load(head)["version"] == "2026.11.1"


def test_normalise_turns_punctuation_into_single_spaces():
    assert normalise("Amoxicillin/Clavulanate-875 mg") == "amoxicillin clavulanate 875 mg"
