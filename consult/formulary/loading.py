"""Loading the formulary: the YAML data files read and every row validated, once per process.

validation.py reads a file and checks a row; drug_loading.py loads drugs.yaml; rule_loading.py the
allergy, interaction and disease rules.
"""

from __future__ import annotations

import functools
from pathlib import Path

from consult.formulary.drug_loading import ATC_CODE, load_drugs, load_ingredient_limits
from consult.formulary.model import Formulary
from consult.formulary.rule_loading import (
    ALLELE, ANCESTRIES, load_allergy_extras, load_allergy_groups, load_disease_rules, load_interactions,
    load_patterns, same_therapy,
)
from consult.formulary.validation import (
    ALLERGY_FILE, DISEASE_FILE, DRUGS_FILE, INTERACTIONS_FILE, REFERENCES_FILE, FormularyError, read_data_file,
)

__all__ = ["ALLELE", "ANCESTRIES", "ATC_CODE", "DATA_DIR", "FormularyError", "get_formulary", "load_formulary",
           "same_therapy"]

DATA_DIR = Path(__file__).parent


def load_formulary(path: str | Path | None = None) -> Formulary:
    """Load and validate the data files in `path` (default: this package); FormularyError names any bad row."""
    directory = Path(path) if path is not None else DATA_DIR
    files = {name: read_data_file(directory, name)
             for name in (REFERENCES_FILE, DRUGS_FILE, INTERACTIONS_FILE, ALLERGY_FILE, DISEASE_FILE)}
    version = str(files[DRUGS_FILE]["version"])
    for name, data in files.items():
        if str(data["version"]) != version:
            raise FormularyError(f"{name}: version {data['version']!r} differs from {DRUGS_FILE}'s {version!r}: "
                                 "the data files are released together")
    references = files[REFERENCES_FILE].get("references")
    if not isinstance(references, dict) or not all(isinstance(v, str) and v for v in references.values()):
        raise FormularyError(f"{REFERENCES_FILE}: `references:` must map keys to citations")
    drugs = load_drugs(files[DRUGS_FILE], references)
    ingredient_limits = load_ingredient_limits(files[DRUGS_FILE], drugs, references)
    groups = load_allergy_groups(files[ALLERGY_FILE], references)
    side_chains, severe_reactions, not_drugs = load_allergy_extras(files[ALLERGY_FILE], groups, references)
    for drug in drugs.values():
        unknown = [g for g in drug.allergy_groups if g not in groups]
        if unknown:
            raise FormularyError(f"{DRUGS_FILE}: drug {drug.id!r}: unknown allergy group(s) {', '.join(unknown)} "
                                 f"(declare them in {ALLERGY_FILE})")
    classes, interactions, pairs, tokens = load_interactions(files[INTERACTIONS_FILE], drugs, references)
    patterns = load_patterns(files[INTERACTIONS_FILE], drugs, tokens, references)
    weeks, conditions, renal, genotypes = load_disease_rules(files[DISEASE_FILE], tokens, references)
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
