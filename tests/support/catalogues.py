"""The message catalogues as the tests read them: the committed .po files, and their .mo compiled as
`make install` compiles them (here too, so a test run after editing a .po never reads a stale .mo)."""

from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "core" / "translations"
SOURCES = ("core", "consult", "shop", "web", "assistant", "fhir_api")  # as the Makefile's `messages`
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "N_": None}  # as the Makefile's BABEL_KEYWORDS


def po_files() -> list[Path]:
    return sorted(TRANSLATIONS.glob("*/LC_MESSAGES/messages.po"))


def compile_stale() -> None:
    for po in po_files():
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            with mo.open("wb") as target:
                write_mo(target, catalog)


def extracted() -> dict[str, list[str]]:
    """Every message marked in the code (msgid → where), extracted as `make messages` does."""
    found: dict[str, list[str]] = {}
    for package in SOURCES:
        for filename, lineno, message, _comments, _context in extract_from_dir(
                ROOT / package, method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2")], keywords=KEYWORDS):
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, []).append(f"{package}/{filename}:{lineno}")
    return found


def catalogue(language: str):
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source)
