"""Loading the formulary: reading the YAML data files and validating every row, once per process."""

from __future__ import annotations

import functools
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from consult.formulary.matching import normalise
from consult.formulary.model import (
    LIMIT_PERIODS, MASS_IN_MG, AllergyGroup, CrossReactivity, DoseCondition, DoseLimit, Formulary, FormularyDrug,
    ConditionRule, GenotypeRule, IngredientLimits, Interaction, InteractionClass, MinAge, OlderAdultAdvice, Pattern,
    PregnancyWeekRule, RenalBand, RenalRule, SideChain, Teratogen, pair_key,
)

DATA_DIR = Path(__file__).parent
REFERENCES_FILE, DRUGS_FILE, INTERACTIONS_FILE, ALLERGY_FILE, DISEASE_FILE = (
    "references.yaml", "drugs.yaml", "interactions.yaml", "allergy_terms.yaml", "disease_rules.yaml")

RX_CLASSES = ("otc", "rx", "controlled")
US_SCHEDULES = ("II", "III", "IV", "V")
# 麻醉药品, 第一类/第二类精神药品 and the other 特殊管理药品 (药品管理法 第六十一条; the 2013 lists as amended).
CN_SPECIAL_CLASSES = ("narcotic", "psychotropic-1", "psychotropic-2", "medical-toxic", "radioactive",
                      "precursor-chemical")
PREGNANCY = ("contraindicated", "caution", "none")
INTERACTION_SEVERITIES = ("contraindicated", "major", "moderate")
FINDING_SEVERITIES = ("blocking", "warning")
FORMS = ("tablet", "capsule", "modified-release tablet", "modified-release capsule", "gastro-resistant tablet",
         "gastro-resistant capsule", "sublingual tablet", "chewable tablet", "oral solution", "oral suspension",
         "pressurised inhalation", "cream", "patch")
ROUTES = ("oral", "sublingual", "inhalation", "topical", "transdermal", "rectal", "vaginal")
STRENGTH_UNITS = ("mg", "g", "mcg", "mg/mL", "mcg/dose")
LIMIT_UNITS = ("mg", "g", "mcg", "mg/kg", "mcg/kg")
# The ancestries a patient record may name (consult.schemas offers the same list).
ANCESTRIES = ("east-asian", "southeast-asian", "south-asian", "african", "european", "hispanic-latino",
              "middle-eastern-north-african", "indigenous-american", "pacific-islander", "other")
ALLELE = re.compile(r"^HLA-[A-Z]+\*[0-9]{2}:[0-9]{2}$")  # e.g. HLA-B*15:02
ICD10_PREFIX = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")
ATC_CODE = re.compile(r"^[ABCDGHJLMNPRSV][0-9]{2}[A-Z]{2}[0-9]{2}$")  # WHO ATC level 5, e.g. J01CA04
DRUG_ID = re.compile(r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")
DRUG_FIELDS = ("id", "generic_name", "generic_name_zh", "strength", "strength_amount", "strength_unit", "form", "route", "atc_code",
               "rx_class", "us_schedule", "cn_special_class", "therapeutic_class", "max_daily_dose_adult",
               "pregnancy", "allergy_groups", "sources")
OPTIONAL_DRUG_FIELDS = ("brand_names_zh", "ingredients", "amounts", "synonyms", "interaction_classes", "max_daily_dose_child",
                        "max_daily_dose_elderly", "min_age", "older_adults", "pregnancy_note", "teratogen",
                        "anticholinergic_burden")
REQUIRED_SOURCES = ("atc", "legal", "dose", "pregnancy")  # and "age" when there is a min_age


class FormularyError(ValueError):
    """A data file is invalid; the message names the file, the row and the problem."""


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """Safe YAML that refuses duplicate keys (PyYAML would silently keep the last one)."""


def _mapping_without_duplicates(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise FormularyError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def _read(directory: Path, name: str) -> dict:
    path = directory / name
    try:
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except FileNotFoundError:
        raise FormularyError(f"{name}: file not found in {directory}") from None
    except FormularyError as error:
        raise FormularyError(f"{name}: {error}") from None
    except yaml.YAMLError as error:
        raise FormularyError(f"{name}: not valid YAML: {error}") from None
    if not isinstance(data, dict) or not data.get("version"):
        raise FormularyError(f"{name}: needs a top-level mapping with a `version:` key")
    return data


_SOURCE_PARTS = re.compile(r";\s*(?=[A-Z][A-Z0-9-]*(?::|;|\s*$))")  # "; " before the next KEY


class _Row:
    """Checks one row; every error names the file, the row and the problem."""

    def __init__(self, file: str, where: str, references: dict):
        self.file, self.where, self.references = file, where, references

    def fail(self, problem: str):
        raise FormularyError(f"{self.file}: {self.where}: {problem}")

    def that(self, condition, problem: str):
        if not condition:
            self.fail(problem)

    def text(self, row: dict, key: str) -> str:
        value = row.get(key)
        self.that(isinstance(value, str) and value.strip(), f"`{key}` must be a non-empty string")
        return value.strip()

    def number(self, value, what: str) -> Decimal:
        self.that(isinstance(value, (int, float)) and not isinstance(value, bool), f"{what} must be a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:  # pragma: no cover - YAML numbers always convert
            self.fail(f"{what} must be a number")
        self.that(number.is_finite() and number > 0, f"{what} must be positive")
        return number

    def strings(self, row: dict, key: str) -> tuple[str, ...]:
        value = row.get(key) or []
        self.that(isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value),
                  f"`{key}` must be a list of strings")
        self.that(len(set(value)) == len(value), f"`{key}` lists something twice")
        return tuple(v.strip() for v in value)

    def source(self, text, what: str) -> str:
        """`KEY` or `KEY: detail`, several joined by `; `, each KEY from references.yaml."""
        self.that(isinstance(text, str) and text.strip(), f"{what} needs a source")
        for part in _SOURCE_PARTS.split(text):
            key = part.split(":", 1)[0].strip()
            self.that(key in self.references, f"{what}: unknown reference {key!r} (add it to {REFERENCES_FILE})")
        return text.strip()

    def dose_limit(self, value, what: str, *, elderly: bool = False) -> DoseLimit:
        self.that(isinstance(value, dict), f"{what} must be a mapping with amount and unit")
        allowed = {"amount", "unit", "per", "cap"} | ({"from_age_years"} if elderly else set())
        self.that(set(value) <= allowed, f"{what}: unexpected keys {sorted(set(value) - allowed)}")
        self.that("amount" in value, f"{what}: missing amount")
        amount = self.number(value["amount"], f"{what} amount")
        unit, period, from_age = value.get("unit"), value.get("per", "day"), value.get("from_age_years")
        self.that(unit in LIMIT_UNITS, f"{what}: unit {unit!r} is not one of {', '.join(LIMIT_UNITS)}")
        self.that(period in LIMIT_PERIODS, f"{what}: per {period!r} is not one of {', '.join(LIMIT_PERIODS)}")
        self.that(not elderly or (isinstance(from_age, int) and 18 <= from_age <= 100),
                  f"{what} needs from_age_years between 18 and 100")
        cap = value.get("cap")
        if cap is not None:
            self.that(unit.endswith("/kg"), f"{what}: only a per-kg limit has a cap")
            self.that(isinstance(cap, dict) and set(cap) == {"amount", "unit"} and cap["unit"] in MASS_IN_MG,
                      f"{what}: cap needs an amount and a unit of mass")
            cap = self.number(cap["amount"], f"{what} cap") * MASS_IN_MG[cap["unit"]]
        return DoseLimit(amount, unit, period, from_age, cap)

    def older_adults(self, value) -> OlderAdultAdvice:
        self.that(isinstance(value, dict) and set(value) == {"from_age_years", "advice", "source"}
                  and isinstance(value["from_age_years"], int) and 60 <= value["from_age_years"] <= 100,
                  "older_adults needs from_age_years (60–100), advice and source")
        return OlderAdultAdvice(value["from_age_years"], self.text(value, "advice"),
                                self.source(value["source"], "older_adults source"))


def _drug(check: _Row, row: dict) -> FormularyDrug:
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
    acb = row.get("anticholinergic_burden", 0)
    check.that(acb in (0, 1, 2, 3) and not isinstance(acb, bool), "anticholinergic_burden must be 1, 2 or 3")

    sources = row["sources"]
    check.that(isinstance(sources, dict), "sources must be a mapping of fact → reference")
    absent = [fact for fact in REQUIRED_SOURCES + (("age",) if min_age else ()) + (("acb",) if acb else ())
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
        teratogen=teratogen, anticholinergic_burden=acb)


def _load_drugs(data: dict, references: dict) -> dict[str, FormularyDrug]:
    rows = data.get("drugs")
    if not isinstance(rows, list) or not rows:
        raise FormularyError(f"{DRUGS_FILE}: `drugs:` must be a non-empty list")
    drugs: dict[str, FormularyDrug] = {}
    for number, row in enumerate(rows, start=1):
        drug_id = row.get("id") if isinstance(row, dict) else None
        check = _Row(DRUGS_FILE, f"drug {drug_id!r} (row {number})", references)
        check.that(isinstance(row, dict), "must be a mapping")
        check.that(isinstance(drug_id, str) and DRUG_ID.match(drug_id), "id must be a lower-case slug")
        check.that(drug_id not in drugs, "duplicate id")
        drugs[drug_id] = _drug(check, row)
    owners: dict[str, str] = {}
    for drug in drugs.values():
        for name in map(normalise, drug.names):
            owner = owners.setdefault(name, drug.generic_name)
            _Row(DRUGS_FILE, f"drug {drug.id!r}", references).that(
                owner == drug.generic_name, f"the name {name!r} also names {owner!r}: ambiguous")
    return drugs


def _load_ingredient_limits(data: dict, drugs: dict[str, FormularyDrug], references: dict):
    """`ingredient_limits:` in drugs.yaml: the limits of an ingredient wherever it is, which every
    ingredient a product's own limit does not cover (a combination's second part) must have."""
    rows = data.get("ingredient_limits") or {}
    if not isinstance(rows, dict):
        raise FormularyError(f"{DRUGS_FILE}: `ingredient_limits:` must map ingredients to limits")
    known = {i for d in drugs.values() for i in d.ingredients}
    limits = {}
    for ingredient, row in rows.items():
        check = _Row(DRUGS_FILE, f"ingredient_limits {ingredient!r}", references)
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
            _Row(DRUGS_FILE, f"drug {drug.id!r}", references).that(
                ingredient in limits, f"{ingredient!r} needs its own limits under `ingredient_limits:`")
    return limits


def _load_allergy_groups(data: dict, references: dict) -> dict[str, AllergyGroup]:
    rows = data.get("groups")
    if not isinstance(rows, dict) or not rows:
        raise FormularyError(f"{ALLERGY_FILE}: `groups:` must be a non-empty mapping")
    groups = {}
    for group_id, row in rows.items():
        check = _Row(ALLERGY_FILE, f"group {group_id!r}", references)
        check.that(isinstance(group_id, str) and SLUG.match(group_id), "group id must be a slug")
        check.that(isinstance(row, dict), "must be a mapping")
        unknown = sorted(set(row) - {"label", "terms", "member_severity", "cross_reactivity", "source"})
        check.that(not unknown, f"unknown field(s) {', '.join(unknown)}")
        terms = check.strings(row, "terms")
        check.that(terms, "needs at least one term")
        check.that(row.get("member_severity") in FINDING_SEVERITIES, "member_severity must be blocking or warning")
        crosses = []
        for cross in row.get("cross_reactivity") or []:
            check.that(isinstance(cross, dict) and cross.get("severity") in FINDING_SEVERITIES,
                       "each cross_reactivity needs a group, a severity (blocking/warning), a note and a source")
            crosses.append(CrossReactivity(cross.get("group"), cross["severity"], check.text(cross, "note"),
                                           check.source(cross.get("source"), "cross_reactivity source")))
        groups[group_id] = AllergyGroup(group_id, check.text(row, "label"), terms, row["member_severity"],
                                        tuple(crosses), check.source(row.get("source"), "source"))
    for group in groups.values():
        for cross in group.cross_reactivity:
            _Row(ALLERGY_FILE, f"group {group.id!r}", references).that(
                cross.group in groups and cross.group != group.id,
                f"cross_reactivity names unknown group {cross.group!r}")
    return groups


def _load_allergy_extras(data: dict, groups: dict[str, AllergyGroup], references: dict):
    """allergy_terms.yaml's optional side_chains, severe_reactions and not_drugs."""
    chains = []
    for chain_id, row in (data.get("side_chains") or {}).items():
        check = _Row(ALLERGY_FILE, f"side chain {chain_id!r}", references)
        check.that(isinstance(row, dict) and set(row) == {"label", "ingredients", "groups", "source"},
                   "needs label, ingredients, groups and source")
        unknown = [g for g in check.strings(row, "groups") if g not in groups]
        check.that(not unknown, f"unknown group(s) {', '.join(unknown)}")
        chains.append(SideChain(chain_id, check.text(row, "label"), frozenset(check.strings(row, "ingredients")),
                                frozenset(row["groups"]), check.source(row.get("source"), "source")))
    check = _Row(ALLERGY_FILE, "top level", references)
    return tuple(chains), check.strings(data, "severe_reactions"), check.strings(data, "not_drugs")


def _load_interactions(data: dict, drugs: dict[str, FormularyDrug], references: dict):
    classes: dict[str, InteractionClass] = {}
    raw_classes = data.get("classes")
    if not isinstance(raw_classes, dict) or not raw_classes:
        raise FormularyError(f"{INTERACTIONS_FILE}: `classes:` must be a non-empty mapping")
    for class_id, row in raw_classes.items():
        check = _Row(INTERACTIONS_FILE, f"class {class_id!r}", references)
        check.that(isinstance(class_id, str) and SLUG.match(class_id), "class id must be a slug")
        check.that(isinstance(row, dict), "must be a mapping with a description and a source")
        classes[class_id] = InteractionClass(class_id, check.text(row, "description"),
                                             check.source(row.get("source"), "source"))
    tokens: dict[str, set[str]] = {c: set() for c in classes}
    for drug in drugs.values():
        for class_id in drug.interaction_classes:
            if class_id not in classes:
                raise FormularyError(f"{DRUGS_FILE}: drug {drug.id!r}: unknown interaction class {class_id!r} "
                                     f"(declare it under `classes:` in {INTERACTIONS_FILE})")
            tokens[class_id].add(drug.id)
        for name in (drug.id, *drug.ingredients):
            if name in classes:
                raise FormularyError(f"{INTERACTIONS_FILE}: class {name!r}: the name of an ingredient or drug id")
            tokens.setdefault(name, set()).add(drug.id)
    for class_id in classes:
        if not tokens[class_id]:
            raise FormularyError(f"{INTERACTIONS_FILE}: class {class_id!r}: no drug in {DRUGS_FILE} belongs to it")

    rows = data.get("interactions")
    if not isinstance(rows, list) or not rows:
        raise FormularyError(f"{INTERACTIONS_FILE}: `interactions:` must be a non-empty list")
    interactions, pairs = {}, {}
    for number, row in enumerate(rows, start=1):
        rule_id = row.get("id") if isinstance(row, dict) else None
        check = _Row(INTERACTIONS_FILE, f"interaction {rule_id!r} (row {number})", references)
        check.that(isinstance(row, dict), "must be a mapping")
        check.that(isinstance(rule_id, str) and SLUG.match(rule_id), "id must be a slug")
        check.that(rule_id not in interactions, "duplicate id")
        unknown = sorted(set(row) - {"id", "between", "severity", "effect", "management", "source", "dose_condition"})
        check.that(not unknown, f"unknown field(s) {', '.join(unknown)}")
        between = row.get("between")
        check.that(isinstance(between, list) and len(between) == 2, "`between` must list exactly two sides")
        sides = []
        for side in between:
            names = (side,) if isinstance(side, str) else tuple(side) if isinstance(side, list) else ()
            check.that(names and all(isinstance(n, str) for n in names), "a side must be a name or a list of names")
            for name in names:
                check.that(name in tokens, f"{name!r} is neither an ingredient, a drug id nor an interaction class")
            sides.append(names)
        severity = row.get("severity")
        check.that(severity in INTERACTION_SEVERITIES,
                   f"severity {severity!r} is not one of {', '.join(INTERACTION_SEVERITIES)}")
        condition = row.get("dose_condition")
        if condition is not None:
            check.that(isinstance(condition, dict) and set(condition) == {"ingredient", "above", "otherwise"},
                       "dose_condition needs exactly ingredient, above and otherwise")
            members = {d for side in sides for n in side for d in tokens[n]}
            check.that(any(condition["ingredient"] in drugs[d].ingredients for d in members),
                       f"dose_condition ingredient {condition['ingredient']!r} is on neither side")
            above = check.dose_limit(condition["above"], "dose_condition.above")
            check.that(not above.per_kg and above.period == "day", "dose_condition.above must be a mass a day")
            check.that(condition["otherwise"] in (None, *INTERACTION_SEVERITIES),
                       "dose_condition.otherwise must be a severity or null")
            condition = DoseCondition(condition["ingredient"], above, condition["otherwise"])
        interaction = Interaction(
            id=rule_id, between=(sides[0], sides[1]), severity=severity, effect=check.text(row, "effect"),
            management=check.text(row, "management"), source=check.source(row.get("source"), "source"),
            dose_condition=condition)
        covered = 0
        for a in sorted({d for n in sides[0] for d in tokens[n]}):
            for b in sorted({d for n in sides[1] for d in tokens[n]}):
                if same_therapy(drugs[a], drugs[b]):
                    continue  # one ingredient or one therapeutic class: duplication (TD), not an interaction
                bucket = pairs.setdefault(pair_key(a, b), [])
                if interaction not in bucket:
                    bucket.append(interaction)
                covered += 1
        check.that(covered, "covers no pair of different drugs (a same-class pair is therapeutic duplication)")
        interactions[rule_id] = interaction
    rank = {s: i for i, s in enumerate(INTERACTION_SEVERITIES)}
    pairs = {k: tuple(sorted(v, key=lambda i: (rank[i.severity], i.id))) for k, v in pairs.items()}
    return classes, tuple(interactions.values()), pairs, tokens


def _drug_ids(check: _Row, row: dict, tokens: dict[str, set[str]], key: str = "drugs") -> frozenset[str]:
    """The drugs a rule names: ingredients, drug ids and interaction classes, as in interactions.yaml."""
    names = check.strings(row, key)
    check.that(names, f"`{key}` must name at least one ingredient, drug id or interaction class")
    for name in names:
        check.that(name in tokens, f"{name!r} is neither an ingredient, a drug id nor an interaction class")
    return frozenset(d for name in names for d in tokens[name])


def _rows(data: dict, file: str, key: str, fields: set[str], references: dict):
    """(check, row) for each row of an optional list, refusing unknown fields and duplicate ids."""
    rows, seen = data.get(key) or [], set()
    if not isinstance(rows, list):
        raise FormularyError(f"{file}: `{key}:` must be a list")
    for number, row in enumerate(rows, start=1):
        rule_id = row.get("id") if isinstance(row, dict) else None
        check = _Row(file, f"{key} {rule_id!r} (row {number})", references)
        check.that(isinstance(row, dict), "must be a mapping")
        check.that(isinstance(rule_id, str) and SLUG.match(rule_id), "id must be a slug")
        check.that(rule_id not in seen, "duplicate id")
        unknown = sorted(set(row) - fields - {"id"})
        check.that(not unknown, f"unknown field(s) {', '.join(unknown)}")
        check.that(row.get("severity", "warning") in FINDING_SEVERITIES, "severity must be blocking or warning")
        seen.add(rule_id)
        yield check, row


def _load_patterns(data: dict, drugs: dict[str, FormularyDrug], tokens, references: dict) -> tuple[Pattern, ...]:
    """interactions.yaml's optional `patterns:`, over three or more drugs or a summed score."""
    patterns = []
    fields = {"label", "all_of", "count_of", "including", "at_least", "score", "severity", "effect", "management",
              "source"}
    for check, row in _rows(data, INTERACTIONS_FILE, "patterns", fields, references):
        kinds = [k for k in ("all_of", "count_of", "score") if k in row]
        check.that(len(kinds) == 1, "needs exactly one of all_of, count_of and score")
        all_of = tuple(_drug_ids(check, {"group": g if isinstance(g, list) else [g]}, tokens, "group")
                       for g in row.get("all_of") or [])
        check.that("all_of" not in row or len(all_of) >= 2, "all_of needs at least two groups")
        count_of = _drug_ids(check, row, tokens, "count_of") if "count_of" in row else frozenset()
        including = _drug_ids(check, row, tokens, "including") if "including" in row else frozenset()
        check.that(row.get("score") in (None, "anticholinergic_burden"), "score must be anticholinergic_burden")
        at_least = row.get("at_least", 0)
        check.that(bool(all_of) or (isinstance(at_least, int) and at_least >= 2), "at_least must be 2 or more")
        patterns.append(Pattern(row["id"], check.text(row, "label"), all_of, count_of, including, at_least,
                                row.get("score"), row.get("severity", "warning"), check.text(row, "effect"),
                                check.text(row, "management"), check.source(row.get("source"), "source")))
    return tuple(patterns)


def _load_disease_rules(data: dict, tokens, references: dict):
    """disease_rules.yaml: stage of pregnancy, conditions, renal function and genotypes."""
    weeks = []
    for check, row in _rows(data, DISEASE_FILE, "pregnancy_weeks",
                            {"drugs", "from_week", "severity", "advice", "source"}, references):
        week = row.get("from_week")
        check.that(isinstance(week, int) and 1 <= week <= 42, "from_week must be a week of pregnancy, 1–42")
        weeks.append(PregnancyWeekRule(row["id"], _drug_ids(check, row, tokens), week, row.get("severity", "warning"),
                                       check.text(row, "advice"), check.source(row.get("source"), "source")))
    conditions = []
    for check, row in _rows(data, DISEASE_FILE, "conditions",
                            {"drugs", "icd10", "label", "severity", "advice", "source"}, references):
        codes = check.strings(row, "icd10")
        check.that(codes and all(ICD10_PREFIX.match(c) for c in codes), "icd10 must list ICD-10 codes (e.g. I50)")
        conditions.append(ConditionRule(row["id"], _drug_ids(check, row, tokens), codes, check.text(row, "label"),
                                        row.get("severity", "warning"), check.text(row, "advice"),
                                        check.source(row.get("source"), "source")))
    renal = []
    for check, row in _rows(data, DISEASE_FILE, "renal", {"drugs", "egfr_below", "egfr_required", "source"},
                            references):
        bands = row.get("egfr_below")
        check.that(isinstance(bands, list) and bands, "egfr_below must list bands")
        parsed = []
        for band in bands:
            check.that(isinstance(band, dict) and set(band) == {"egfr", "severity", "advice"}
                       and isinstance(band["egfr"], int) and 5 <= band["egfr"] <= 120
                       and band["severity"] in FINDING_SEVERITIES,
                       "each band needs egfr (5–120), severity (blocking/warning) and advice")
            parsed.append(RenalBand(band["egfr"], band["severity"], check.text(band, "advice")))
        check.that([b.below for b in parsed] == sorted({b.below for b in parsed}), "bands must rise, lowest first")
        check.that(isinstance(row.get("egfr_required"), bool), "egfr_required must be true or false")
        renal.append(RenalRule(row["id"], _drug_ids(check, row, tokens), tuple(parsed), row["egfr_required"],
                               check.source(row.get("source"), "source")))
    genotypes = []
    for check, row in _rows(data, DISEASE_FILE, "genotypes",
                            {"drugs", "allele", "ancestries", "harm", "untested", "positive", "source"}, references):
        check.that(isinstance(row.get("allele"), str) and ALLELE.match(row["allele"]),
                   "allele must be written like HLA-B*15:02")
        ancestries = check.strings(row, "ancestries")
        check.that(ancestries and set(ancestries) <= set(ANCESTRIES), f"ancestries must be among {', '.join(ANCESTRIES)}")
        genotypes.append(GenotypeRule(row["id"], _drug_ids(check, row, tokens), row["allele"], frozenset(ancestries),
                                      check.text(row, "harm"), check.text(row, "untested"),
                                      check.text(row, "positive"), check.source(row.get("source"), "source")))
    return tuple(weeks), tuple(conditions), tuple(renal), tuple(genotypes)


def same_therapy(a: FormularyDrug, b: FormularyDrug) -> bool:
    """One drug, one ingredient or one therapeutic class: the pair duplicates therapy."""
    return a.therapeutic_class == b.therapeutic_class or bool(set(a.ingredients) & set(b.ingredients))


def load_formulary(path: str | Path | None = None) -> Formulary:
    """Load and validate the data files in `path` (default: this package); FormularyError names any bad row."""
    directory = Path(path) if path is not None else DATA_DIR
    files = {name: _read(directory, name)
             for name in (REFERENCES_FILE, DRUGS_FILE, INTERACTIONS_FILE, ALLERGY_FILE, DISEASE_FILE)}
    version = str(files[DRUGS_FILE]["version"])
    for name, data in files.items():
        if str(data["version"]) != version:
            raise FormularyError(f"{name}: version {data['version']!r} differs from {DRUGS_FILE}'s {version!r}: "
                                 "the data files are released together")
    references = files[REFERENCES_FILE].get("references")
    if not isinstance(references, dict) or not all(isinstance(v, str) and v for v in references.values()):
        raise FormularyError(f"{REFERENCES_FILE}: `references:` must map keys to citations")
    drugs = _load_drugs(files[DRUGS_FILE], references)
    ingredient_limits = _load_ingredient_limits(files[DRUGS_FILE], drugs, references)
    groups = _load_allergy_groups(files[ALLERGY_FILE], references)
    side_chains, severe_reactions, not_drugs = _load_allergy_extras(files[ALLERGY_FILE], groups, references)
    for drug in drugs.values():
        unknown = [g for g in drug.allergy_groups if g not in groups]
        if unknown:
            raise FormularyError(f"{DRUGS_FILE}: drug {drug.id!r}: unknown allergy group(s) {', '.join(unknown)} "
                                 f"(declare them in {ALLERGY_FILE})")
    classes, interactions, pairs, tokens = _load_interactions(files[INTERACTIONS_FILE], drugs, references)
    patterns = _load_patterns(files[INTERACTIONS_FILE], drugs, tokens, references)
    weeks, conditions, renal, genotypes = _load_disease_rules(files[DISEASE_FILE], tokens, references)
    ingredient_groups: dict[str, set[str]] = {}
    for drug in drugs.values():
        if len(drug.ingredients) == 1:  # a combination's groups may belong to only one of its parts
            ingredient_groups.setdefault(drug.ingredients[0], set()).update(drug.allergy_groups)
    return Formulary(version=version, references=dict(references), drugs=drugs, interaction_classes=classes,
                     interactions=interactions, allergy_groups=groups, pairs=pairs,
                     ingredient_allergy_groups={k: frozenset(v) for k, v in ingredient_groups.items()},
                     ingredient_limits=ingredient_limits, side_chains=side_chains,
                     severe_reaction_terms=severe_reactions, non_drug_allergens=not_drugs,
                     pregnancy_week_rules=weeks, condition_rules=conditions, renal_rules=renal,
                     genotype_rules=genotypes, patterns=patterns)


@functools.lru_cache(maxsize=1)
def get_formulary() -> Formulary:
    """The formulary shipped with the code, loaded and validated once per process."""
    return load_formulary()
