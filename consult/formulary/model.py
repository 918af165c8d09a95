"""The formulary's data: clinical drugs, dose limits, interaction rules and allergy groups, as frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from consult.formulary.matching import longest_matches, mentions_strength, normal_name, normalise, occurrences

MASS_IN_MG = {"g": Decimal(1000), "mg": Decimal(1), "mcg": Decimal("0.001")}
LIMIT_PERIODS = {"day": 1, "week": 7}


@dataclass(frozen=True)
class DoseLimit:
    """A maximum dose: `amount` `unit` per `period` (day or week); a mg/kg limit needs a weight."""

    amount: Decimal
    unit: str
    period: str = "day"
    from_age_years: int | None = None  # for a lower limit in older patients
    cap_mg: Decimal | None = None  # a per-kg limit's absolute cap, in mg per period, as its source states

    @property
    def per_kg(self) -> bool:
        return self.unit.endswith("/kg")

    def mg_per_day(self, weight_kg: Decimal | None = None) -> Decimal | None:
        """The limit in mg a day (a weekly limit spread over 7 days); None when a weight is needed."""
        days = LIMIT_PERIODS[self.period]
        amount = self.amount * MASS_IN_MG[self.unit.removesuffix("/kg")] / days
        if self.per_kg:
            if weight_kg is None:
                return None
            by_weight = amount * weight_kg
            return by_weight if self.cap_mg is None else min(by_weight, self.cap_mg / days)
        return amount

    def __str__(self) -> str:
        cap = f" (at most {plain(self.cap_mg)} mg/{self.period})" if self.cap_mg is not None else ""
        return f"{plain(self.amount)} {self.unit}/{self.period}{cap}"


@dataclass(frozen=True)
class IngredientLimits:
    """Dose limits of one ingredient from every product that contains it (a combination's second
    ingredient, whose amount the product's own limit does not cover)."""

    ingredient: str
    adult: DoseLimit
    child: DoseLimit | None
    source: str


@dataclass(frozen=True)
class OlderAdultAdvice:
    """A drug to avoid, or to use only with care, from an age (AGS Beers Criteria and the like)."""

    from_age_years: int
    advice: str
    source: str


@dataclass(frozen=True)
class MinAge:
    months: int
    severity: str
    reason: str

    def __str__(self) -> str:
        return f"{self.months // 12} years" if self.months % 12 == 0 else f"{self.months} months"


@dataclass(frozen=True)
class Teratogen:
    """A drug known to harm the embryo or fetus: with pregnancy status unknown, a person who could
    be pregnant is asked first."""

    harm: str
    source: str


@dataclass(frozen=True)
class FormularyDrug:
    """A clinical drug: one generic (or fixed combination) in one strength and form."""

    id: str
    generic_name: str
    generic_name_zh: str  # 通用名, as the NMPA approves it, without the dosage form
    brand_names_zh: tuple[str, ...]  # 商品名 under which it is sold in China
    ingredients: tuple[str, ...]
    amounts: tuple[Decimal, ...]  # mg of each ingredient in one unit (tablet, capsule, mL, puff)
    synonyms: tuple[str, ...]
    strength: str
    strength_amount: Decimal  # of the first-named ingredient of a combination
    strength_unit: str
    form: str
    route: str
    atc_code: str
    rx_class: str
    us_schedule: str | None
    cn_special_class: str | None
    therapeutic_class: str
    interaction_classes: tuple[str, ...]
    max_daily_dose_adult: DoseLimit | None  # None only where the data says why none is established
    max_daily_dose_not_established: str | None
    max_daily_dose_child: DoseLimit | None
    max_daily_dose_elderly: DoseLimit | None
    min_age: MinAge | None
    older_adults: OlderAdultAdvice | None
    pregnancy: str
    pregnancy_note: str | None
    allergy_groups: tuple[str, ...]
    sources: tuple[tuple[str, str], ...]  # (fact, source)
    teratogen: Teratogen | None = None
    anticholinergic_burden: int = 0  # the drug's score on the Anticholinergic Cognitive Burden scale (0–3)
    # The age from which the drug's source gives children the adult dose ("adults and children 12
    # years and over"); below it, and for a drug without it, only a child maximum checks a child's dose.
    adult_dose_from_years: int | None = None
    pregnancy_by_policy: tuple[tuple[str, str], ...] = ()  # (jurisdiction, category) where its labels differ

    def pregnancy_under(self, policy_name: str | None) -> tuple[str, str]:
        """(pregnancy category, its source fact) under a jurisdiction's rule set."""
        category = dict(self.pregnancy_by_policy).get(policy_name)
        return (category, f"pregnancy-{policy_name}") if category else (self.pregnancy, "pregnancy")

    @property
    def names(self) -> tuple[str, ...]:
        return (self.generic_name, self.generic_name_zh, *self.brand_names_zh, *self.synonyms)

    def source(self, fact: str) -> str:
        sources = dict(self.sources)
        return sources.get(fact) or sources["dose"]

    def mg_per(self, dose_unit: str) -> Decimal | None:
        """Milligrams of the first-named ingredient in one `dose_unit` of this drug (a mg, a tablet,
        a puff, a mL); None if meaningless."""
        if dose_unit in MASS_IN_MG:
            return MASS_IN_MG[dose_unit]
        units = self.units_per(dose_unit)
        return None if units is None else units * self.amounts[0]

    def units_per(self, dose_unit: str) -> Decimal | None:
        """Units of the product (tablets, capsules, puffs, mL) in one `dose_unit`; a mass is of the
        first-named ingredient ("500 mg" of co-amoxiclav 500/125 is one tablet). None if meaningless."""
        if dose_unit in MASS_IN_MG:
            return MASS_IN_MG[dose_unit] / self.amounts[0]
        _, _, per = self.strength_unit.partition("/")
        solid = "tablet" in self.form or "capsule" in self.form
        if (dose_unit in ("tablet", "capsule") and solid and not per) or (dose_unit == "puff" and per == "dose") \
                or (dose_unit == "mL" and per == "mL"):
            return Decimal(1)
        return None

    def mg_of_each(self, units: Decimal) -> dict[str, Decimal]:
        """Milligrams of each ingredient in `units` units of the product."""
        return {ingredient: units * amount for ingredient, amount in zip(self.ingredients, self.amounts)}


@dataclass(frozen=True)
class DoseCondition:
    """The interaction applies in full only above this daily dose of one ingredient."""

    ingredient: str
    above: DoseLimit
    otherwise: str | None  # the severity at or below that dose; None: no finding


@dataclass(frozen=True)
class Interaction:
    id: str
    between: tuple[tuple[str, ...], tuple[str, ...]]  # each side: ingredients, drug ids or interaction classes
    severity: str
    effect: str
    management: str
    source: str
    dose_condition: DoseCondition | None = None


@dataclass(frozen=True)
class InteractionClass:
    id: str
    description: str
    source: str


@dataclass(frozen=True)
class CrossReactivity:
    group: str
    severity: str
    note: str
    source: str


@dataclass(frozen=True)
class AllergyGroup:
    id: str
    label: str
    terms: tuple[str, ...]
    member_severity: str  # what an allergy to one member means for the others
    cross_reactivity: tuple[CrossReactivity, ...]
    source: str


@dataclass(frozen=True)
class SideChain:
    """Beta-lactams sharing an R1 side chain; `groups`: an allergy naming one of these classes as a
    whole is taken to include the side chain's members."""

    id: str
    label: str
    ingredients: frozenset[str]
    groups: frozenset[str]
    source: str


@dataclass(frozen=True)
class AllergyMatch:
    """What a free-text allergy names: ingredients and allergy groups."""

    ingredients: frozenset[str]
    groups: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.ingredients or self.groups)


@dataclass(frozen=True)
class PregnancyWeekRule:
    """From a gestational week on, these drugs get a severity (NSAIDs from week 20 and 30)."""

    id: str
    drug_ids: frozenset[str]
    from_week: int
    severity: str
    advice: str
    source: str


@dataclass(frozen=True)
class ConditionRule:
    """A drug with a condition the patient has (ICD-10 codes, matched as prefixes: I50 covers I50.9)."""

    id: str
    drug_ids: frozenset[str]
    icd10: tuple[str, ...]
    label: str
    severity: str
    advice: str
    source: str


@dataclass(frozen=True)
class RenalBand:
    below: int  # eGFR, mL/min/1.73 m²
    severity: str
    advice: str


@dataclass(frozen=True)
class RenalRule:
    """eGFR thresholds of a drug, lowest first; `egfr_required`: without a recent eGFR the dose
    cannot be checked (a renally cleared drug), so the missing value is itself a finding."""

    id: str
    drug_ids: frozenset[str]
    bands: tuple[RenalBand, ...]
    egfr_required: bool
    source: str


@dataclass(frozen=True)
class GenotypeRule:
    """An allele to test for before a drug, in patients of the ancestries where it is common.

    `screen`: "ancestry-at-risk" when the source asks to screen patients of those ancestries (an
    unrecorded ancestry is then a prompt of its own), "consider" when it asks for no screening (only a
    recorded ancestry at risk prompts)."""

    id: str
    drug_ids: frozenset[str]
    allele: str
    ancestries: frozenset[str]
    screen: str
    harm: str
    advice_untested: str
    advice_positive: str
    source: str


@dataclass(frozen=True)
class Pattern:
    """A multi-drug pattern over the new items and the profile: every group present (`all_of`), or
    `at_least` drugs of `count_of` (with one of `including`), or an anticholinergic burden score."""

    id: str
    label: str
    all_of: tuple[frozenset[str], ...]
    count_of: frozenset[str]
    including: frozenset[str]
    at_least: int
    score: str | None
    severity: str
    effect: str
    management: str
    source: str


@dataclass(frozen=True, eq=False)
class Formulary:
    version: str
    references: dict[str, str]
    drugs: dict[str, FormularyDrug]
    interaction_classes: dict[str, InteractionClass]
    interactions: tuple[Interaction, ...]
    allergy_groups: dict[str, AllergyGroup]
    pairs: dict[tuple[str, str], tuple[Interaction, ...]]  # (id, id) sorted → rules, most severe first
    ingredient_allergy_groups: dict[str, frozenset[str]]
    ingredient_limits: dict[str, IngredientLimits]
    side_chains: tuple[SideChain, ...] = ()
    severe_reaction_terms: tuple[str, ...] = ()
    non_drug_allergens: tuple[str, ...] = ()
    pregnancy_week_rules: tuple[PregnancyWeekRule, ...] = ()
    condition_rules: tuple[ConditionRule, ...] = ()
    renal_rules: tuple[RenalRule, ...] = ()
    genotype_rules: tuple[GenotypeRule, ...] = ()
    patterns: tuple[Pattern, ...] = ()

    def is_severe_reaction(self, text: str) -> bool:
        """Does the text name a severe reaction (anaphylaxis, angioedema, SJS/TEN, DRESS…)?"""
        normal = normalise(text or "")
        return any(occurrences(normal_name(t), normal) for t in self.severe_reaction_terms)

    def is_non_drug_allergen(self, text: str) -> bool:
        normal = normalise(text or "")
        return any(occurrences(normal_name(t), normal) for t in self.non_drug_allergens)

    def side_chains_of_allergy(self, match: "AllergyMatch") -> list[SideChain]:
        """The side chains an allergy names: through its ingredient, or through its class when it names
        no ingredient (the culprit is unknown)."""
        return [c for c in self.side_chains
                if c.ingredients & match.ingredients or (not match.ingredients and c.groups & match.groups)]

    def interactions_between(self, drug_id_a: str, drug_id_b: str) -> list[Interaction]:
        """Every interaction rule covering these two drugs, in either order, most severe first."""
        return list(self.pairs.get(pair_key(drug_id_a, drug_id_b), ()))

    def pairs_of(self, interaction: Interaction) -> list[tuple[str, str]]:
        """The (sorted) pairs of drug ids one rule covers."""
        return sorted(k for k, rules in self.pairs.items() if interaction in rules)

    def find_by_name(self, text: str) -> list[FormularyDrug]:
        """Drugs a free-text medication names: a drug id, or a generic name or synonym (case-insensitive,
        whole words). A longer name beats a shorter one inside it ("amoxicillin clavulanate" is not
        plain amoxicillin); when the text also gives a strength ("aspirin 100 mg") that strength wins."""
        if not text or not text.strip():
            return []
        if text.strip() in self.drugs:
            return [self.drugs[text.strip()]]
        normal = normalise(text)
        found = longest_matches(normal, ((d.id, n) for d in self.drugs.values() for n in d.names))
        by_strength = [d for d in found if mentions_strength(normal, self.drugs[d].strength)]
        return [self.drugs[d] for d in sorted(by_strength or found)]

    def match_allergy(self, substance: str) -> AllergyMatch:
        """The ingredients and allergy groups a free-text allergy names ("Penicillin", "磺胺", "NSAIDs")."""
        normal = normalise(substance or "")
        if not normal:
            return AllergyMatch(frozenset(), frozenset())
        if substance.strip() in self.drugs:
            return AllergyMatch(frozenset(self.drugs[substance.strip()].ingredients), frozenset())
        # A drug's name means all its ingredients and its allergy groups ("Bactrim" is a sulfonamide
        # allergy); an ingredient's name ("amoxicillin") means that ingredient.
        named = [*(((d.id,), n) for d in self.drugs.values() for n in d.names),
                 *(((None, i), i) for d in self.drugs.values() for i in d.ingredients)]
        ingredients, groups = set(), set()
        for key in longest_matches(normal, named):
            if key[0]:
                ingredients.update(self.drugs[key[0]].ingredients)
                groups.update(self.drugs[key[0]].allergy_groups)
            else:
                ingredients.add(key[1])
        groups.update(g.id for g in self.allergy_groups.values()
                      if any(occurrences(normal_name(t), normal) for t in g.terms))
        return AllergyMatch(frozenset(ingredients), frozenset(groups))

    def groups_of_ingredients(self, ingredients) -> frozenset[str]:
        return frozenset(g for i in ingredients for g in self.ingredient_allergy_groups.get(i, ()))


def pair_key(a: str, b: str) -> tuple[str, str]:
    return (a, b) if a <= b else (b, a)


def plain(number: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 1.50 → 1.5, 1E+3 → 1000."""
    return format(Decimal(number).normalize(), "f")
