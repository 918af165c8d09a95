"""Schemas every context shares: problems, money, pagination."""

from marshmallow import Schema, fields, validate

from core.pagination import MAX_LIMIT


class ProblemSchema(Schema):
    class Meta:
        unknown = "include"

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(keys=fields.String(), values=fields.Raw())


class MoneySchema(Schema):
    amount = fields.Integer(required=True)
    currency = fields.String(required=True)


class PageArgsSchema(Schema):
    limit = fields.Integer(load_default=None, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.String(load_default=None, validate=validate.Length(max=512))


def page_of(item_schema, name: str) -> type[Schema]:
    """A `{items, next_cursor}` schema for one kind of item."""
    return Schema.from_dict(
        {"items": fields.List(fields.Nested(item_schema), required=True),
         "next_cursor": fields.String(allow_none=True, required=True)},
        name=name,
    )
