"""Schemas every context shares: problems, money, pagination; the strict number and boolean fields."""

import re

from marshmallow import Schema, fields, validate

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
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema), required=True,
                              metadata={"description": "This page's items."}),
         "next_cursor": fields.String(allow_none=True, required=True, metadata={
             "description": "Pass it as `cursor` for the next page; null on the last page."})},
        name=name,
    )
