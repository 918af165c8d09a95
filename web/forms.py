"""HTML forms read into what the API's schemas take, and checked by those same schemas."""

from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from core.errors import ValidationFailed
from core.i18n import _

ITEM_FIELDS = ("drug_id", "dose", "dose_unit", "frequency_per_day", "route", "days_supply", "quantity",
               "refills", "instructions")
NUMBERS = {"dose": float, "frequency_per_day": float, "days_supply": int, "quantity": int, "refills": int}
ITEM_ROWS = 3  # rows the prescription form offers (more with ?rows=)
MAX_ITEMS = 10  # the most a draft takes (consult.schemas.PrescriptionDraftSchema)


def load(schema: Schema, values: dict) -> dict:
    """`values` as the API would take them, or the API's validation refusal."""
    try:
        return schema.load(values)
    except ValidationError as exc:
        raise ValidationFailed(_("The form has errors."), errors=_flat(exc.messages)) from None


def _flat(messages, prefix="") -> dict:
    flat = {}
    for key, value in (messages.items() if isinstance(messages, dict) else [("_schema", messages)]):
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            flat.update(_flat(value, path))
        else:
            flat[path] = value
    return flat


def text_fields(form: MultiDict, *names: str) -> dict:
    """The named fields that were filled in, stripped (an empty field is left out, as in JSON)."""
    return {name: form[name].strip() for name in names if form.get(name, "").strip()}


def prescription_items(form: MultiDict) -> list[dict]:
    """Rows `items-<n>-<field>` with a drug chosen, in order, numbers as numbers (a number that does
    not parse stays text, for the schema to refuse)."""
    rows = []
    for n in range(row_count(form)):
        row = {f: form.get(f"items-{n}-{f}", "").strip() for f in ITEM_FIELDS}
        if not row["drug_id"]:
            continue
        item = {}
        for name, value in row.items():
            if value == "":
                continue
            try:
                item[name] = NUMBERS[name](value) if name in NUMBERS else value
            except ValueError:
                item[name] = value
        rows.append(item)
    return rows


def row_count(values) -> int:
    """How many item rows the form has: ITEM_ROWS unless asked for more, at most MAX_ITEMS."""
    try:
        return min(max(int(values.get("rows", ITEM_ROWS)), 1), MAX_ITEMS)
    except ValueError:
        return ITEM_ROWS


BASIS_FIELDS = ("kind", "evaluated_on", "exception", "covering_for")


def prescription_draft(form: MultiDict) -> dict:
    """The body the API's draft endpoint takes, from the prescription form (the controlled-substance
    basis only when a kind is chosen)."""
    body = {"items": prescription_items(form),
            "diagnosis": {"code": form.get("diagnosis_code", "").strip(),
                          "display": form.get("diagnosis_display", "").strip()}}
    basis = {name: form[f"basis_{name}"].strip() for name in BASIS_FIELDS if form.get(f"basis_{name}", "").strip()}
    if basis.get("kind"):
        body["controlled_substance_basis"] = basis
    return body
