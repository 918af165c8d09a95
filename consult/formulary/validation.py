"""Reading the formulary's YAML data files strictly and checking one row at a time: every error
names the file, the row and the problem."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import yaml

from consult.formulary.model import LIMIT_PERIODS, MASS_IN_MG, DoseLimit, OlderAdultAdvice

REFERENCES_FILE, DRUGS_FILE, INTERACTIONS_FILE, ALLERGY_FILE, DISEASE_FILE = (
    "references.yaml", "drugs.yaml", "interactions.yaml", "allergy_terms.yaml", "disease_rules.yaml")
FINDING_SEVERITIES = ("blocking", "warning")
LIMIT_UNITS = ("mg", "g", "mcg", "mg/kg", "mcg/kg")
SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*[a-z0-9]$")


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


def read_data_file(directory: Path, name: str) -> dict:
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


class RowCheck:
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
