"""Loading the rule files: allergy groups and side chains (allergy_terms.yaml), interactions and
multi-drug patterns (interactions.yaml), and pregnancy, condition, renal and genotype rules
(disease_rules.yaml), each naming drugs by ingredient, drug id or interaction class."""

from __future__ import annotations

import re

from consult.formulary.model import (
    AllergyGroup, ConditionRule, CrossReactivity, DoseCondition, FormularyDrug, GenotypeRule, Interaction,
    InteractionClass, Pattern, PregnancyWeekRule, RenalBand, RenalRule, SideChain, pair_key,
)
from consult.formulary.validation import (
    ALLERGY_FILE, DISEASE_FILE, DRUGS_FILE, FINDING_SEVERITIES, INTERACTIONS_FILE, SLUG, FormularyError, RowCheck,
)

INTERACTION_SEVERITIES = ("contraindicated", "major", "moderate")
ANCESTRIES = ("east-asian", "southeast-asian", "south-asian", "african", "european", "hispanic-latino",
              "middle-eastern-north-african", "indigenous-american", "pacific-islander", "other")
GENOTYPE_SCREENING = ("ancestry-at-risk", "consider")
ALLELE = re.compile(r"^HLA-[A-Z]+\*[0-9]{2}:[0-9]{2}$")  # e.g. HLA-B*15:02
ICD10_PREFIX = re.compile(r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$")


def load_allergy_groups(data: dict, references: dict) -> dict[str, AllergyGroup]:
    rows = data.get("groups")
    if not isinstance(rows, dict) or not rows:
        raise FormularyError(f"{ALLERGY_FILE}: `groups:` must be a non-empty mapping")
    groups = {}
    for group_id, row in rows.items():
        check = RowCheck(ALLERGY_FILE, f"group {group_id!r}", references)
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
            RowCheck(ALLERGY_FILE, f"group {group.id!r}", references).that(
                cross.group in groups and cross.group != group.id,
                f"cross_reactivity names unknown group {cross.group!r}")
    return groups


def load_allergy_extras(data: dict, groups: dict[str, AllergyGroup], references: dict):
    """allergy_terms.yaml's optional side_chains, severe_reactions and not_drugs."""
    chains = []
    for chain_id, row in (data.get("side_chains") or {}).items():
        check = RowCheck(ALLERGY_FILE, f"side chain {chain_id!r}", references)
        check.that(isinstance(row, dict) and set(row) == {"label", "ingredients", "groups", "source"},
                   "needs label, ingredients, groups and source")
        unknown = [g for g in check.strings(row, "groups") if g not in groups]
        check.that(not unknown, f"unknown group(s) {', '.join(unknown)}")
        chains.append(SideChain(chain_id, check.text(row, "label"), frozenset(check.strings(row, "ingredients")),
                                frozenset(row["groups"]), check.source(row.get("source"), "source")))
    check = RowCheck(ALLERGY_FILE, "top level", references)
    return tuple(chains), check.strings(data, "severe_reactions"), check.strings(data, "not_drugs")


def load_interactions(data: dict, drugs: dict[str, FormularyDrug], references: dict):
    classes: dict[str, InteractionClass] = {}
    raw_classes = data.get("classes")
    if not isinstance(raw_classes, dict) or not raw_classes:
        raise FormularyError(f"{INTERACTIONS_FILE}: `classes:` must be a non-empty mapping")
    for class_id, row in raw_classes.items():
        check = RowCheck(INTERACTIONS_FILE, f"class {class_id!r}", references)
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
        check = RowCheck(INTERACTIONS_FILE, f"interaction {rule_id!r} (row {number})", references)
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


def _drug_ids(check: RowCheck, row: dict, tokens: dict[str, set[str]], key: str = "drugs") -> frozenset[str]:
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
        check = RowCheck(file, f"{key} {rule_id!r} (row {number})", references)
        check.that(isinstance(row, dict), "must be a mapping")
        check.that(isinstance(rule_id, str) and SLUG.match(rule_id), "id must be a slug")
        check.that(rule_id not in seen, "duplicate id")
        unknown = sorted(set(row) - fields - {"id"})
        check.that(not unknown, f"unknown field(s) {', '.join(unknown)}")
        check.that(row.get("severity", "warning") in FINDING_SEVERITIES, "severity must be blocking or warning")
        seen.add(rule_id)
        yield check, row


def load_patterns(data: dict, drugs: dict[str, FormularyDrug], tokens, references: dict) -> tuple[Pattern, ...]:
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


def load_disease_rules(data: dict, tokens, references: dict):
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
                            {"drugs", "allele", "ancestries", "screen", "harm", "untested", "positive", "source"},
                            references):
        check.that(isinstance(row.get("allele"), str) and ALLELE.match(row["allele"]),
                   "allele must be written like HLA-B*15:02")
        ancestries = check.strings(row, "ancestries")
        check.that(ancestries and set(ancestries) <= set(ANCESTRIES), f"ancestries must be among {', '.join(ANCESTRIES)}")
        check.that(row.get("screen") in GENOTYPE_SCREENING, f"screen must be one of {', '.join(GENOTYPE_SCREENING)}")
        genotypes.append(GenotypeRule(row["id"], _drug_ids(check, row, tokens), row["allele"], frozenset(ancestries),
                                      row["screen"],
                                      check.text(row, "harm"), check.text(row, "untested"),
                                      check.text(row, "positive"), check.source(row.get("source"), "source")))
    return tuple(weeks), tuple(conditions), tuple(renal), tuple(genotypes)


def same_therapy(a: FormularyDrug, b: FormularyDrug) -> bool:
    """One drug, one ingredient or one therapeutic class: the pair duplicates therapy."""
    return a.therapeutic_class == b.therapeutic_class or bool(set(a.ingredients) & set(b.ingredients))
