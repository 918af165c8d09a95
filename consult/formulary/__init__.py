"""The formulary: clinical drugs, interaction rules and allergy terms, loaded from versioned data files."""

from consult.formulary.loading import ATC_CODE, DATA_DIR, FormularyError, get_formulary, load_formulary
from consult.formulary.matching import normalise
from consult.formulary.model import Formulary, FormularyDrug, Interaction, plain

__all__ = ["ATC_CODE", "DATA_DIR", "Formulary", "FormularyDrug", "FormularyError", "Interaction",
           "get_formulary", "load_formulary", "normalise", "plain"]
