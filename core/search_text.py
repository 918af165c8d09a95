"""Search keys: names folded to the forms people type (case, width, pinyin), stored at write time.

A key is `|name|pinyin|initials|…|`, so one indexed LIKE finds a term anywhere in it, and the
separators tell an exact name (`|t|`) from a prefix (`|t`) from a match inside a name.
"""

import unicodedata

from pypinyin import Style, lazy_pinyin, load_phrases_dict, load_single_dict

SEPARATOR = "|"

# Readings pypinyin's dictionaries get wrong in drug names: 炔 (alkyne) is quē, as in 炔雌醇;
# 得 in 芬必得 is dé.
load_single_dict({ord("炔"): "quē"})
load_phrases_dict({"芬必得": [["fēn"], ["bì"], ["dé"]]})

# How well a term matches, best first: the whole of a name, its start, inside it, only a synonym.
EXACT, PREFIX, CONTAINS, SYNONYM = range(4)


def fold(text: str) -> str:
    """The form every key and term is compared in: NFKC (full-width to half-width), lower case,
    single spaces; the separator never appears in it."""
    text = unicodedata.normalize("NFKC", text).lower().replace(SEPARATOR, " ")
    return " ".join(text.split())


def has_han(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" or "\u3400" <= c <= "\u4dbf" for c in text)


def spellings(name: str) -> list[str]:
    """A name as people type it: itself, and when it is Chinese its pinyin in full and by initials,
    without tones or spaces (阿莫西林 → amoxilin, amxl)."""
    folded = fold(name)
    if not folded:
        return []
    forms = [folded]
    if has_han(folded):
        forms.append("".join(lazy_pinyin(folded)).replace(" ", ""))
        forms.append("".join(lazy_pinyin(folded, style=Style.FIRST_LETTER)).replace(" ", ""))
    return list(dict.fromkeys(forms))


def key(names) -> str:
    """The search key of these names (None and empty names are skipped); "" when there are none."""
    forms = list(dict.fromkeys(form for name in names if name for form in spellings(name)))
    return f"{SEPARATOR}{SEPARATOR.join(forms)}{SEPARATOR}" if forms else ""


def rank(term: str, names_key: str, synonyms_key: str = "") -> int | None:
    """How a folded term matches a names key (EXACT, PREFIX, CONTAINS) or a synonyms key (SYNONYM)."""
    if not term:
        return None
    if f"{SEPARATOR}{term}{SEPARATOR}" in names_key:
        return EXACT
    if f"{SEPARATOR}{term}" in names_key:
        return PREFIX
    if term in names_key:
        return CONTAINS
    if term in synonyms_key:
        return SYNONYM
    return None


def like_pattern(fragment: str) -> str:
    """A LIKE pattern (ESCAPE '\\') matching `fragment` anywhere: wildcards in it are letters."""
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
