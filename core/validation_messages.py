"""marshmallow's own validation messages, declared for translation and rendered in the client's language.

marshmallow writes its messages in English (with values filled in: "Longer than maximum length
200."), so the problem handler looks each one up here: a message equal to a template, or one a
template's placeholders can fill, is given in the client's language. Messages of rxloop's own
schemas and services are marked where they are written.
"""

import re

from core.i18n import N_, _

TEMPLATES = (
    # marshmallow.fields
    N_("Missing data for required field."), N_("Field may not be null."), N_("Invalid value."),
    N_("Not a valid boolean."), N_("Not a valid date."), N_("Not a valid datetime."), N_("Not a valid time."),
    N_("Not a valid integer."), N_("Not a valid number."), N_("Number too large."),
    N_("Special numeric values (nan or infinity) are not permitted."), N_("Not a valid string."),
    N_("Not a valid utf-8 string."), N_("Not a valid list."), N_("Not a valid mapping type."),
    N_("Invalid type."), N_("Not a valid email address."), N_("Not a valid URL."), N_("Not a valid UUID."),
    N_("Not a valid tuple."), N_("Must be one of: {choices}."), N_('"{input}" cannot be formatted as a date.'),
    N_('"{input}" cannot be formatted as a datetime.'),
    # marshmallow.schema
    N_("Invalid input type."), N_("Unknown field."),
    # marshmallow.validate
    N_("Shorter than minimum length {min}."), N_("Longer than maximum length {max}."),
    N_("Length must be between {min} and {max}."), N_("Length must be {equal}."),
    N_("Must be greater than or equal to {min}."), N_("Must be greater than {min}."),
    N_("Must be less than or equal to {max}."), N_("Must be less than {max}."),
    N_("Must be greater than or equal to {min} and less than or equal to {max}."),
    N_("Must be greater than {min} and less than {max}."),
    N_("Must be greater than or equal to {min} and less than {max}."),
    N_("Must be greater than {min} and less than or equal to {max}."),
    N_("String does not match expected pattern."), N_("Invalid input."), N_("Must be equal to {other}."),
)

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _pattern(template: str) -> re.Pattern:
    parts = _PLACEHOLDER.split(template)  # text, name, text, name, …, text
    return re.compile("".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)" for i, part in enumerate(parts)))


_EXACT = frozenset(t for t in TEMPLATES if "{" not in t)
# Longest first: "Must be … {min} and … {max}." before "Must be … {min}.", which would also match it.
_FILLED = tuple((_pattern(t), t) for t in sorted((t for t in TEMPLATES if "{" in t), key=len, reverse=True))


def translate(message) -> str:
    """One validation message in the client's language (as it came, when it is none of marshmallow's)."""
    message = str(message)
    if message in _EXACT:
        return _(message)
    for pattern, template in _FILLED:
        found = pattern.fullmatch(message)
        if found:
            return _(template).format(**found.groupdict())
    return message
