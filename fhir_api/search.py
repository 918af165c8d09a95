"""FHIR search: the declared parameters of a resource read from a query string, and the
`searchset` Bundle a page of results is answered with (`next` link carrying the cursor).

Dates take FHIR's prefixes (`eq` by default, `ge`, `le`, `gt`, `lt`) on a value of any
precision from a year to a second: `2026-12` is the whole of December, so `le2026-12` ends
with it. A parameter this server does not declare, or a value it cannot read, is a 400
OperationOutcome rather than silently ignored: a client asking for one patient's records
must never get everybody's.
"""

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from core.errors import DomainError
from core.i18n import _
from core.pagination import MAX_LIMIT
from core.problems import Problem

DEFAULT_COUNT = 20
CURSOR = "_cursor"
IGNORED = {"_format"}  # answered in JSON whatever it says
DATE = re.compile(r"^(eq|ge|le|gt|lt)?(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                  r"(Z|[+-]\d{2}:\d{2})?)?)?)?$")


class BadSearch(DomainError):
    problem = Problem.MALFORMED_REQUEST


@dataclass(frozen=True)
class Param:
    name: str
    type: str  # FHIR search parameter type: token, reference, date
    documentation: str


@dataclass(frozen=True)
class DateRange:
    """One date criterion: the instants [start, end) the value covers, and the prefix."""

    prefix: str
    start: datetime
    end: datetime

    def clause(self, column):
        return {"eq": lambda: (column >= self.start) & (column < self.end), "ge": lambda: column >= self.start,
                "gt": lambda: column >= self.end, "le": lambda: column < self.end,
                "lt": lambda: column < self.start}[self.prefix]()


@dataclass
class Query:
    """A parsed search: values per parameter (repeats AND, commas OR), the page size and cursor."""

    values: dict[str, list] = field(default_factory=dict)
    count: int = DEFAULT_COUNT
    cursor: str | None = None

    def any_of(self, name: str) -> list | None:
        """The values of a token or reference parameter (OR-ed), or None when it is not given."""
        if name not in self.values:
            return None
        return [value for group in self.values[name] for value in group]

    def dates(self, name: str) -> list[DateRange]:
        return self.values.get(name, [])


def _bad(name: str, detail: str) -> BadSearch:
    return BadSearch(detail, errors={name: [detail]})


def parse_date(name: str, text: str) -> DateRange:
    match = DATE.match(text)
    if not match:
        raise _bad(name, _("Not a FHIR date: use YYYY, YYYY-MM, YYYY-MM-DD or a dateTime, with an optional "
                           "prefix eq, ge, le, gt or lt."))
    prefix, year, month, day, hour, minute, second, zone = match.groups()
    try:
        start = datetime(int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
                         int(second or 0), tzinfo=UTC)
        if zone and zone != "Z":
            sign = 1 if zone[0] == "+" else -1
            start -= sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))
        elif hour and not zone:
            raise ValueError("a time needs its zone")
        if second:
            end = start + timedelta(seconds=1)
        elif minute:
            end = start + timedelta(minutes=1)
        elif day:
            end = start + timedelta(days=1)
        elif month:
            end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            end = start.replace(year=start.year + 1)
    except (ValueError, OverflowError):
        raise _bad(name, _("Not a valid date or time (a time needs Z or an offset).")) from None
    return DateRange(prefix or "eq", start, end)


def _token(name: str, text: str, system: str | None) -> str:
    """`value` or `system|value` (the system, when given, must be the parameter's)."""
    declared, bar, value = text.rpartition("|")
    if bar and declared and declared != system:
        raise _bad(name, _("Unknown identifier system: %(system)s.", system=declared))
    if not value:
        raise _bad(name, _("A value is required."))
    return value


def _reference(name: str, text: str, target: str | None) -> str:
    """`id` or `Type/id` (the type, when given, must be the parameter's target)."""
    kind, slash, value = text.rpartition("/")
    if slash and target and kind.rsplit("/", 1)[-1] != target:
        raise _bad(name, _("Expected a reference to %(target)s.", target=target))
    if not value:
        raise _bad(name, _("A value is required."))
    return value


def parse(args, params: tuple[Param, ...], *, systems: dict[str, str] | None = None,
          targets: dict[str, str] | None = None) -> Query:
    """The query string `args` (a MultiDict) as a Query over the declared `params`."""
    declared = {p.name: p for p in params}
    query = Query()
    for name in args:
        texts = args.getlist(name)
        if name in IGNORED:
            continue
        if name == "_count":
            text = texts[-1]
            if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
                raise _bad(name, _("Must be a whole number from 1 to %(most)d.", most=MAX_LIMIT))
            query.count = int(text)
        elif name == CURSOR:
            query.cursor = texts[-1]
        elif name not in declared:
            raise _bad(name, _("This server does not support the search parameter %(name)s here.", name=name))
        elif declared[name].type == "date":
            query.values[name] = [parse_date(name, text) for text in texts]
        elif declared[name].type == "token":
            query.values[name] = [[_token(name, part, (systems or {}).get(name)) for part in text.split(",")]
                                  for text in texts]
        else:
            query.values[name] = [[_reference(name, part, (targets or {}).get(name)) for part in text.split(",")]
                                  for text in texts]
    return query


def searchset(*, base: str, resource_type: str, args, resources: list[dict], next_cursor: str | None) -> dict:
    """A `searchset` Bundle of `resources`, with `self` and (when there is more) `next` links."""
    kept = [(name, value) for name in args for value in args.getlist(name) if name != CURSOR]
    links = [{"relation": "self", "url": f"{base}/{resource_type}" + (f"?{urlencode(kept)}" if kept else "")}]
    if next_cursor:
        links.append({"relation": "next", "url": f"{base}/{resource_type}?{urlencode([*kept, (CURSOR, next_cursor)])}"})
    bundle = {"resourceType": "Bundle", "type": "searchset", "link": links}
    if resources:  # FHIR allows no empty arrays
        bundle["entry"] = [entry(base, resource, mode="match") for resource in resources]
    return bundle


def entry(base: str, resource: dict, *, mode: str | None = None) -> dict:
    made = {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource}
    if mode:
        made["search"] = {"mode": mode}
    return made
