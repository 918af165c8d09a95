"""Schemas every context shares: problems, money, pagination; the strict number and boolean fields."""

import re

from marshmallow import Schema, fields, missing, utils, validate
from marshmallow.decorators import POST_DUMP, PRE_DUMP

from core.pagination import MAX_LIMIT

# Amounts and counts are stored as PostgreSQL integers.
INT32_MAX = 2**31 - 1


class StrictInteger(fields.Integer):
    """A JSON integer and nothing else: 1.5 is not truncated to 1; "2", 1.0 and true are refused."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)


class StrictFloat(fields.Float):
    """A JSON number and nothing else: "2.5" and true are refused (so are NaN and infinities)."""

    def _validated(self, value):
        if not isinstance(value, (int, float)):  # Number refuses True and False itself
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class StrictBoolean(fields.Boolean):
    """JSON true or false and nothing else: 0, 1, "true", "yes" and "on" are refused."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


class QueryInteger(fields.Integer):
    """An integer in a query string: ASCII digits only (Python's int() also takes " 5", "1_0", "٥")."""

    _DIGITS = re.compile(r"-?[0-9]+")

    def _validated(self, value):
        if not (isinstance(value, str) and self._DIGITS.fullmatch(value)):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


def _value_of(obj, key: str):
    """marshmallow's default accessor (utils.get_value) for a key without dots: obj[key], else obj.key."""
    if not hasattr(obj, "__getitem__"):
        return getattr(obj, key, missing)
    try:
        return obj[key]
    except (KeyError, IndexError, TypeError, AttributeError):
        return getattr(obj, key, missing)


def _converter(field: fields.Field):
    """What `field._serialize` does to a value, precomputed; None when the field is not one of marshmallow's
    plain kinds (a Function, a custom field): those are dumped by marshmallow itself."""
    kind = type(field)
    if kind._serialize is fields.String._serialize:
        return lambda value: value if value is None or type(value) is str else utils.ensure_text_type(value)
    if (kind._serialize is fields.Number._serialize and kind._format_num is fields.Number._format_num
            and not field.as_string):
        number = field.num_type
        return lambda value: None if value is None else number(value)
    if kind._serialize is fields.DateTime._serialize:
        as_text = field.SERIALIZATION_FUNCS.get(field.format or field.DEFAULT_FORMAT)
        return None if as_text is None else (lambda value: None if value is None else as_text(value))
    if kind._serialize is fields.Dict._serialize and field.key_field is None and field.value_field is None:
        mapping = field.mapping_type
        return lambda value: None if value is None else mapping(value)
    if kind._serialize is fields.List._serialize:
        inner = _converter(field.inner)
        return None if inner is None else (lambda value: None if value is None else [inner(each) for each in value])
    if kind._serialize is fields.Nested._serialize:
        nested = field.schema
        many = nested.many or field.many
        if nested._hooks[PRE_DUMP] or nested._hooks[POST_DUMP]:
            return lambda value: None if value is None else nested.dump(value, many=many)
        dump = _plan(nested)
        if dump is None:
            return lambda value: None if value is None else nested.dump(value, many=many)
        if many:
            return lambda value: None if value is None else [dump(each) for each in value]
        return lambda value: None if value is None else dump(value)
    return None


def _plan(schema: Schema):
    """`schema._serialize(obj)` for one object as a single function built from the schema's fields, or None when
    the schema reads its values in its own way (an overridden get_attribute)."""
    if type(schema).get_attribute is not Schema.get_attribute:
        return None
    make = schema.dict_class
    steps = []
    for name, field in schema.dump_fields.items():
        key = field.data_key if field.data_key is not None else name
        attribute = field.attribute if field.attribute is not None else name
        convert = _converter(field)
        plain = (convert is not None and field._CHECK_ATTRIBUTE and "." not in attribute
                 and type(field).get_value is fields.Field.get_value)
        steps.append((key, attribute, convert if plain else None, field, name))

    def dump(obj):
        result = make()
        for key, attribute, convert, field, name in steps:
            if convert is None:
                value = field.serialize(name, obj, accessor=schema.get_attribute)
            else:
                value = _value_of(obj, attribute)
                if value is missing:
                    default = field.dump_default
                    value = default() if callable(default) else default
                    if value is missing:
                        continue
                value = convert(value)
            if value is not missing:
                result[key] = value
        return result

    return dump


class PlannedDumpSchema(Schema):
    """A schema that dumps the way marshmallow does, through a plan built once from its own fields.

    marshmallow walks every field through four or five calls per value; a hot page of twenty nested
    prescriptions pays that a thousand times. The plan does the same per kind of field (the same
    accessor, defaults, and conversions), and leaves anything else (Function fields, custom fields,
    nested schemas with dump hooks) to marshmallow. Hooks of this schema itself still run: dump()
    calls them around _serialize. tests/core/test_planned_dump.py checks it gives marshmallow's output.
    """

    def _serialize(self, obj, *, many: bool = False):
        plan = self.__dict__.get("_dump_plan", missing)
        if plan is missing:
            plan = self.__dict__["_dump_plan"] = _plan(self)
        if plan is None:
            return super()._serialize(obj, many=many)
        if many and obj is not None:
            return [plan(each) for each in obj]
        return plan(obj)


class ProblemSchema(Schema):
    class Meta:
        unknown = "include"

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = StrictInteger(required=True)
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


class MoneySchema(Schema):
    amount = StrictInteger(required=True)
    currency = fields.String(required=True)


class PageArgsSchema(Schema):
    limit = QueryInteger(load_default=None, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(load_default=None, validate=validate.Length(max=512))


def page_of(item_schema, name: str) -> type[Schema]:
    """A `{items, next_cursor}` schema for one kind of item."""
    return PlannedDumpSchema.from_dict(
        {"items": fields.List(fields.Nested(item_schema), required=True,
                              metadata={"description": "This page's items."}),
         "next_cursor": fields.String(allow_none=True, required=True, metadata={
             "description": "Pass it as `cursor` for the next page; null on the last page."})},
        name=name,
    )
