"""Matching free text to formulary names: normalised, whole words (Chinese anywhere), longest name wins."""

import functools
import re

_CJK = re.compile(r"[\u3400-\u9fff]")


def normalise(text: str) -> str:
    """Case-folded words separated by single spaces ('+', '/', '-' and other punctuation become spaces)."""
    return " ".join(re.sub(r"[\W_]+", " ", text.casefold()).split())


@functools.lru_cache(maxsize=None)
def _name_pattern(name: str) -> re.Pattern:
    return re.compile(re.escape(name) if _CJK.search(name) else rf"(?<!\w){re.escape(name)}(?!\w)")


def occurrences(name: str, text: str) -> list[tuple[int, int]]:
    """Spans of `name` in `text`: whole words for Latin script, anywhere for Chinese (no word breaks)."""
    if not name:
        return []
    return [(m.start(), m.end()) for m in _name_pattern(name).finditer(text)]


def longest_matches(normal_text: str, named) -> list[str]:
    """Keys whose name occurs in the text and is not only part of a longer matched name."""
    spans: dict[str, list[tuple[int, int]]] = {}
    for key, name in named:
        spans.setdefault(key, []).extend(occurrences(normal_name(name), normal_text))
    every = [s for found in spans.values() for s in found]
    return [key for key, found in spans.items()
            if any(not any(o != s and o[0] <= s[0] and s[1] <= o[1] for o in every) for s in found)]


@functools.lru_cache(maxsize=None)
def normal_name(name: str) -> str:
    return normalise(name)


def mentions_strength(normal_text: str, strength: str) -> bool:
    wanted = normalise(strength)
    return bool(occurrences(wanted, normal_text) or occurrences(wanted.replace(" ", ""), normal_text))



# "No known allergy to …", "NKDA", "denies allergies", "无过敏", "否认药物过敏史": not an allergy.
# Text that goes on to name an exception ("no allergies except sulfa", "无…但…") is read as written.
_NEGATED_EN = re.compile(r"^(?:no|nil|none|denies|denied|negative|not allergic)(?:\s|$)")
_NEGATED_ABBREVIATIONS = {"nkda", "nka", "nkma", "nkfa"}
_NEGATED_ZH = re.compile(r"^(?:无|否认|没有|未发现).*过敏|^无$")
_EXCEPTION = re.compile(r"(?<!\w)(?:but|except|however|although|apart)(?!\w)|但|除|然而")


def is_negated_allergy(text: str) -> bool:
    """Does a recorded allergy say there is none?"""
    normal = normalise(text or "")
    if not normal or _EXCEPTION.search(normal):
        return False
    return normal in _NEGATED_ABBREVIATIONS or bool(_NEGATED_EN.match(normal) or _NEGATED_ZH.match(normal))
