"""Loading drugs.yaml: the clinical drugs, each row validated, and the ingredients' own limits."""

from __future__ import annotations

import re

from consult.formulary.matching import normalise
from consult.formulary.model import MASS_IN_MG, FormularyDrug, IngredientLimits, MinAge, Teratogen
from consult.formulary.validation import (
    DRUGS_FILE, FINDING_SEVERITIES, SLUG, FormularyError, RowCheck,
)

RX_CLASSES = ("otc", "rx", "controlled")
US_SCHEDULES = ("II", "III", "IV", "V")
CN_SPECIAL_CLASSES = ("narcotic", "psychotropic-1", "psychotropic-2", "medical-toxic", "radioactive",
                      "precursor-chemical")
PREGNANCY = ("contraindicated", "caution", "none")
JURISDICTIONS = ("cn", "us")
FORMS = ("tablet", "capsule", "modified-release tablet", "modified-release capsule", "gastro-resistant tablet",
         "gastro-resistant capsule", "sublingual tablet", "chewable tablet", "oral solution", "oral suspension",
         "pressurised inhalation", "cream", "patch")
ROUTES = ("oral", "sublingual", "inhalation", "topical", "transdermal", "rectal", "vaginal")
STRENGTH_UNITS = ("mg", "g", "mcg", "mg/mL", "mcg/dose")
ATC_CODE = re.compile(r"^[ABCDGHJLMNPRSV][0-9]{2}[A-Z]{2}[0-9]{2}$")  # WHO ATC level 5, e.g. J01CA04
DRUG_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
DRUG_FIELDS = ("id", "generic_name", "generic_name_zh", "strength", "strength_amount", "strength_unit", "form", "route", "atc_code",
               "rx_class", "us_schedule", "cn_special_class", "therapeutic_class", "max_daily_dose_adult",
               "pregnancy", "allergy_groups", "sources")
OPTIONAL_DRUG_FIELDS = ("brand_names_zh", "ingredients", "amounts", "synonyms", "interaction_classes", "max_daily_dose_child",
                        "max_daily_dose_elderly", "min_age", "older_adults", "pregnancy_note", "teratogen",
                        "anticholinergic_burden", "adult_dose_from_years", "pregnancy_by_policy")
REQUIRED_SOURCES = ("atc", "legal", "dose", "pregnancy")  # and "age" when there is a min_age


def _drug(check: RowCheck, row: dict) -> FormularyDrug:
    missing = [k for k in DRUG_FIELDS if k not in row]
    check.that(not missing, f"missing {', '.join(missing)}")
    unknown = sorted(set(row) - set(DRUG_FIELDS) - set(OPTIONAL_DRUG_FIELDS))
    check.that(not unknown, f"unknown field(s) {', '.join(unknown)}")
    generic = check.text(row, "generic_name")
    generic_zh = check.text(row, "generic_name_zh")
    check.that(any("\u4e00" <= c <= "\u9fff" for c in generic_zh), "generic_name_zh must be written in Chinese (通用名)")
    rx_class, schedule, special = row["rx_class"], row["us_schedule"], row["cn_special_class"]
    check.that(rx_class in RX_CLASSES, f"unknown rx_class {rx_class!r} (one of {', '.join(RX_CLASSES)})")
    check.that(schedule is None or schedule in US_SCHEDULES, f"us_schedule {schedule!r} is not null or II–V")
    check.that(special is None or special in CN_SPECIAL_CLASSES, f"unknown cn_special_class {special!r}")
    check.that((rx_class == "controlled") == bool(schedule or special),
               "rx_class is `controlled` if and only if a us_schedule or cn_special_class is set")
    atc = row["atc_code"]
    check.that(isinstance(atc, str) and ATC_CODE.match(atc), f"bad ATC code {atc!r} (WHO level 5, e.g. J01CA04)")
    unit = row["strength_unit"]
    check.that(unit in STRENGTH_UNITS, f"strength_unit {unit!r} is not one of {', '.join(STRENGTH_UNITS)}")
    check.that(row["form"] in FORMS, f"unknown form {row['form']!r}")
    check.that(row["route"] in ROUTES, f"unknown route {row['route']!r}")
    check.that(row["pregnancy"] in PREGNANCY, f"pregnancy {row['pregnancy']!r} is not one of {', '.join(PREGNANCY)}")
    check.that(row["pregnancy"] == "none" or row.get("pregnancy_note"), "pregnancy other than none needs a pregnancy_note")
    check.that(isinstance(row["therapeutic_class"], str) and SLUG.match(row["therapeutic_class"]),
               "therapeutic_class must be a slug")

    adult, not_established = row["max_daily_dose_adult"], None
    if isinstance(adult, dict) and set(adult) == {"not_established"}:
        not_established = adult["not_established"]
        check.that(isinstance(not_established, str) and len(not_established) >= 40,
                   "max_daily_dose_adult.not_established must explain why no maximum is established")
        adult = None
    else:
        check.that(adult is not None, "missing max dose (max_daily_dose_adult)")
        adult = check.dose_limit(adult, "max_daily_dose_adult")
    child, elderly = row.get("max_daily_dose_child"), row.get("max_daily_dose_elderly")
    child = check.dose_limit(child, "max_daily_dose_child") if child is not None else None
    elderly = check.dose_limit(elderly, "max_daily_dose_elderly", elderly=True) if elderly is not None else None

    min_age = row.get("min_age")
    if min_age is not None:
        check.that(isinstance(min_age, dict) and set(min_age) <= {"years", "months", "severity", "reason"}
                   and ("years" in min_age) != ("months" in min_age),
                   "min_age needs exactly one of years/months, a severity and a reason")
        months = min_age["months"] if "months" in min_age else min_age["years"] * 12
        check.that(isinstance(months, int) and 0 < months <= 18 * 12, "min_age must be a whole number, 1 month–18 years")
        check.that(min_age.get("severity") in FINDING_SEVERITIES, "min_age severity must be blocking or warning")
        min_age = MinAge(months, min_age["severity"], check.text(min_age, "reason"))

    ingredients = check.strings(row, "ingredients") or (generic,)
    strength_amount = check.number(row["strength_amount"], "strength_amount")
    in_mg = MASS_IN_MG[unit.partition("/")[0]]
    amounts = row.get("amounts")
    if len(ingredients) > 1 or amounts is not None:
        # A combination states every ingredient's amount per unit, so each can be totalled and limited.
        check.that(isinstance(amounts, dict) and list(amounts) == list(ingredients),
                   "a combination needs `amounts`: each ingredient, in order, with its amount per unit")
        amounts = tuple(check.number(amounts[i], f"amounts.{i}") * in_mg for i in ingredients)
        check.that(amounts[0] == strength_amount * in_mg, "amounts: the first ingredient's amount is the strength")
    else:
        amounts = (strength_amount * in_mg,)
    older = row.get("older_adults")
    teratogen = row.get("teratogen")
    if teratogen is not None:
        check.that(isinstance(teratogen, dict) and set(teratogen) == {"harm", "source"},
                   "teratogen needs the harm and a source")
        teratogen = Teratogen(check.text(teratogen, "harm"), check.source(teratogen["source"], "teratogen source"))
    by_policy = row.get("pregnancy_by_policy") or {}
    check.that(isinstance(by_policy, dict) and set(by_policy) <= set(JURISDICTIONS)
               and set(by_policy.values()) <= set(PREGNANCY),
               f"pregnancy_by_policy must map {'/'.join(JURISDICTIONS)} to a pregnancy category")
    adult_from = row.get("adult_dose_from_years")
    check.that(adult_from is None or (isinstance(adult_from, int) and not isinstance(adult_from, bool)
                                      and 1 <= adult_from < 18),
               "adult_dose_from_years must be an age in years under 18")
    acb = row.get("anticholinergic_burden", 0)
    check.that(acb in (0, 1, 2, 3) and not isinstance(acb, bool), "anticholinergic_burden must be 1, 2 or 3")

    sources = row["sources"]
    check.that(isinstance(sources, dict), "sources must be a mapping of fact → reference")
    absent = [fact for fact in REQUIRED_SOURCES + (("age",) if min_age else ()) + (("acb",) if acb else ())
              + (("child",) if adult_from else ()) + tuple(f"pregnancy-{p}" for p in sorted(by_policy))
              if fact not in sources]
    check.that(not absent, f"no source for {', '.join(absent)}")
    return FormularyDrug(
        id=row["id"], generic_name=generic, generic_name_zh=generic_zh,
        brand_names_zh=check.strings(row, "brand_names_zh"), ingredients=ingredients, amounts=amounts,
        synonyms=check.strings(row, "synonyms"), strength=check.text(row, "strength"),
        strength_amount=strength_amount, strength_unit=unit,
        form=row["form"], route=row["route"], atc_code=atc, rx_class=rx_class, us_schedule=schedule,
        cn_special_class=special, therapeutic_class=row["therapeutic_class"],
        interaction_classes=check.strings(row, "interaction_classes"), max_daily_dose_adult=adult,
        max_daily_dose_not_established=not_established, max_daily_dose_child=child,
        max_daily_dose_elderly=elderly, min_age=min_age,
        older_adults=check.older_adults(older) if older is not None else None, pregnancy=row["pregnancy"],
        pregnancy_note=row.get("pregnancy_note"), allergy_groups=check.strings(row, "allergy_groups"),
        sources=tuple((fact, check.source(text, f"source for {fact}")) for fact, text in sorted(sources.items())),
        teratogen=teratogen, anticholinergic_burden=acb, adult_dose_from_years=adult_from,
        pregnancy_by_policy=tuple(sorted(by_policy.items())))


def load_drugs(data: dict, references: dict) -> dict[str, FormularyDrug]:
    rows = data.get("drugs")
    if not isinstance(rows, list) or not rows:
        raise FormularyError(f"{DRUGS_FILE}: `drugs:` must be a non-empty list")
    drugs: dict[str, FormularyDrug] = {}
    for number, row in enumerate(rows, start=1):
        drug_id = row.get("id") if isinstance(row, dict) else None
        check = RowCheck(DRUGS_FILE, f"drug {drug_id!r} (row {number})", references)
        check.that(isinstance(row, dict), "must be a mapping")
        check.that(isinstance(drug_id, str) and DRUG_ID.match(drug_id), "id must be a lower-case slug")
        check.that(drug_id not in drugs, "duplicate id")
        drugs[drug_id] = _drug(check, row)
    owners: dict[str, str] = {}
    for drug in drugs.values():
        for name in map(normalise, drug.names):
            owner = owners.setdefault(name, drug.generic_name)
            RowCheck(DRUGS_FILE, f"drug {drug.id!r}", references).that(
                owner == drug.generic_name, f"the name {name!r} also names {owner!r}: ambiguous")
    return drugs


def load_ingredient_limits(data: dict, drugs: dict[str, FormularyDrug], references: dict):
    """`ingredient_limits:` in drugs.yaml: the limits of an ingredient wherever it is, which every
    ingredient a product's own limit does not cover (a combination's second part) must have."""
    rows = data.get("ingredient_limits") or {}
    if not isinstance(rows, dict):
        raise FormularyError(f"{DRUGS_FILE}: `ingredient_limits:` must map ingredients to limits")
    known = {i for d in drugs.values() for i in d.ingredients}
    limits = {}
    for ingredient, row in rows.items():
        check = RowCheck(DRUGS_FILE, f"ingredient_limits {ingredient!r}", references)
        check.that(ingredient in known, "no drug contains this ingredient")
        check.that(isinstance(row, dict) and set(row) <= {"max_daily_dose_adult", "max_daily_dose_child", "source"}
                   and "max_daily_dose_adult" in row, "needs max_daily_dose_adult, optional max_daily_dose_child, "
                                                      "and a source")
        child = row.get("max_daily_dose_child")
        limits[ingredient] = IngredientLimits(
            ingredient, check.dose_limit(row["max_daily_dose_adult"], "max_daily_dose_adult"),
            check.dose_limit(child, "max_daily_dose_child") if child is not None else None,
            check.source(row.get("source"), "source"))
    for drug in drugs.values():
        for ingredient in drug.ingredients[1:]:
            RowCheck(DRUGS_FILE, f"drug {drug.id!r}", references).that(
                ingredient in limits, f"{ingredient!r} needs its own limits under `ingredient_limits:`")
    return limits
