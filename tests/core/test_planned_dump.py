"""A PlannedDumpSchema dumps exactly what marshmallow's own Schema dumps from the same fields."""

from datetime import UTC, date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from marshmallow import Schema, fields, post_dump

from core.schemas import PlannedDumpSchema, StrictFloat, StrictInteger


class Coded(Schema):
    code = fields.String(required=True)
    display = fields.String()


class Shouted(Schema):
    word = fields.String()

    @post_dump
    def shout(self, data, **kwargs):
        return {"word": data["word"].upper()}


class Tagged(fields.String):
    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"<{value}>"


FIELDS = {
    "id": fields.String(required=True),
    "name_bytes": fields.String(),
    "number_as_text": fields.String(),
    "count": StrictInteger(),
    "price": fields.Integer(as_string=True),
    "dose": StrictFloat(),
    "ratio": fields.Float(),
    "at": fields.DateTime(),
    "at_rfc": fields.DateTime(format="rfc"),
    "at_custom": fields.DateTime(format="%Y"),
    "on": fields.Date(),
    "basis": fields.Dict(allow_none=True),
    "labels": fields.Dict(keys=fields.String(), values=fields.Integer()),
    "tags": fields.List(fields.String()),
    "tagged": fields.List(Tagged()),
    "codes": fields.List(fields.Nested(Coded)),
    "diagnosis": fields.Nested(Coded, allow_none=True),
    "many_codes": fields.Nested(Coded, many=True),
    "shouted": fields.Nested(Shouted),
    "renamed": fields.String(data_key="shown_as"),
    "from_attribute": fields.String(attribute="source"),
    "dotted": fields.String(attribute="diagnosis.code"),
    "defaulted": fields.String(dump_default="none given"),
    "called_default": fields.Integer(dump_default=lambda: 7),
    "computed": fields.Function(lambda o: "computed"),
    "absent": fields.String(),
    "load_only_secret": fields.String(load_only=True),
}

Plain = Schema.from_dict(FIELDS, name="Plain")
Planned = PlannedDumpSchema.from_dict(FIELDS, name="Planned")

VALUES = {
    "id": "rx_1", "name_bytes": "é".encode(), "number_as_text": 12, "count": 3, "price": 250,
    "dose": Decimal("500.0000"), "ratio": 2, "at": datetime(2026, 12, 7, 15, 0, tzinfo=UTC),
    "at_rfc": datetime(2026, 12, 7, 15, 0, tzinfo=UTC), "at_custom": datetime(2026, 1, 1, tzinfo=UTC),
    "on": date(2026, 12, 7), "basis": {"kind": "in_person_evaluation"}, "labels": {"a": "1"},
    "tags": ["a", 2], "tagged": ["x", None], "codes": [{"code": "J02.9", "display": "Acute pharyngitis"}],
    "diagnosis": SimpleNamespace(code="J02.9", display="Acute pharyngitis"),
    "many_codes": [{"code": "A00"}], "shouted": {"word": "quiet"}, "renamed": "r", "source": "s",
    "load_only_secret": "never shown",
}


@pytest.mark.parametrize("obj", [
    VALUES,
    SimpleNamespace(**VALUES),
    {**VALUES, **dict.fromkeys(("dose", "at", "basis", "tags", "codes", "diagnosis", "name_bytes"), None)},
    {"id": "rx_2"},
], ids=["a dict", "an object", "nulls", "almost nothing"])
def test_a_planned_schema_dumps_what_marshmallow_dumps(obj):
    assert Planned().dump(obj) == Plain().dump(obj)


def test_a_planned_schema_dumps_many_as_marshmallow_does():
    objs = [VALUES, SimpleNamespace(**VALUES)]
    assert Planned(many=True).dump(objs) == Plain(many=True).dump(objs)
    assert Planned().dump(objs, many=True) == Plain().dump(objs, many=True)


def test_the_plan_follows_the_schema_it_is_built_from():
    only = Planned(only=("id", "diagnosis"))
    assert only.dump(VALUES) == {"id": "rx_1", "diagnosis": {"code": "J02.9", "display": "Acute pharyngitis"}}


def test_a_planned_schemas_own_dump_hooks_still_run():
    class Wrapped(PlannedDumpSchema):
        id = fields.String()

        @post_dump
        def wrap(self, data, **kwargs):
            return {"wrapped": data}

    assert Wrapped().dump({"id": "x"}) == {"wrapped": {"id": "x"}}
