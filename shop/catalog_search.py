"""How a catalogue search reads the products it ranks: rank by rank, each in name order with a limit.

A term ranks each product it finds (core.search_text): the whole of one of its names, the start of
one, inside one, or only a synonym, each through the product's own names or its drug's, whichever is
better; a page is ordered by (rank, name, id). A common three-letter term finds thousands of products,
and ranking them all to show twenty cost ~30 ms of PostgreSQL a page at 100k products. Here each rank
is its own query in (name, id) order with a LIMIT, and a rank is read only for the room the better
ranks left on the page:

- the products found through their drug are walked drug by drug on the (drug_id, name, id) index,
  a page's worth from each drug (a LATERAL join on PostgreSQL);
- the products found by their own names are few once their drug's are set aside (a brand that is,
  begins or holds the term): a whole name or the start of one through the index of the key's names
  as tsvector lexemes, a match inside through the trigram index; then sorted.

SQLite, the embedded default, reads the same statement without those indexes (it scans), and gives the
same answers. The statement of each shape (which ranks, how many words, which filters) is built once.
"""

from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import (
    Integer,
    String,
    any_,
    bindparam,
    cast,
    func,
    literal_column,
    or_,
    select,
    true,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY, TSQUERY
from sqlalchemy.orm import Session

from consult import drugs
from consult.models import Drug
from core import search_text
from core.db import is_postgres
from shop.models import Product

RANKS = (search_text.EXACT, search_text.PREFIX, search_text.CONTAINS, search_text.SYNONYM)
MAX_SEARCH_WORDS = 5  # one formulary query a word: a long query reads its first five


def ranked(*, session: Session, term: str, size: int, after: list | None = None, rx_class: str | None = None,
           include_inactive: bool = False) -> list:
    """The first `size` (product, rank) rows a folded term finds, in (rank, name, id) order, after
    the cursor's (rank, name, id) if one is given."""
    if after is not None and after[0] < search_text.EXACT:
        after = None  # every rank comes after it
    if after is not None and after[0] > search_text.SYNONYM:
        return []
    found = drugs.ranks(session=session, term=term, rx_class=rx_class)
    words = list(dict.fromkeys(term.split(" ")))[:MAX_SEARCH_WORDS]
    if len(words) == 1:
        words = []  # a single word is found wherever the term ranks
    shape = _Shape(postgres=is_postgres(session), first=after[0] if after else search_text.EXACT,
                   paged=after is not None, words=len(words), rx_class=bool(rx_class),
                   include_inactive=include_inactive)
    params = {"size": size, "exact": search_text.like_pattern(f"|{term}|"),
              "prefix": search_text.like_pattern(f"|{term}"), "inside": search_text.like_pattern(term)}
    if shape.postgres:
        params |= {"whole_name": _lexeme(term), "name_start": _lexeme(term) + ":*"}
    if after is not None:
        params |= {"after_name": after[1], "after_id": after[2]}
    if rx_class:
        params["rx_class"] = rx_class
    better = []
    for rank in RANKS:
        these = sorted(d for d, r in found.items() if r == rank)
        params[f"drugs_{rank}"] = these
        params[f"not_drugs_{rank}"] = better + these  # their products are read through the drug
        better += these
    for n, word in enumerate(words):
        params[f"word_{n}"] = search_text.like_pattern(word)
        params[f"word_drugs_{n}"] = list(drugs.ranks(session=session, term=word, rx_class=rx_class))
    return session.execute(_statement(shape), params).all()


@dataclass(frozen=True)
class _Shape:
    postgres: bool
    first: int              # the first rank to read: the cursor's, or EXACT on a first page
    paged: bool             # the cursor's (name, id) bounds the first rank
    words: int              # words apart, each of which must be found; 0 for one word
    rx_class: bool
    include_inactive: bool


@lru_cache(maxsize=512)
def _statement(shape: _Shape):
    key = Product.search_key
    own = {search_text.EXACT: key.like(bindparam("exact"), escape="\\"),
           search_text.PREFIX: key.like(bindparam("prefix"), escape="\\"),
           search_text.CONTAINS: key.like(bindparam("inside"), escape="\\")}
    by_index = dict(own)  # the same conditions as an index answers them
    if shape.postgres:
        by_index[search_text.EXACT] = _names().op("@@")(cast(bindparam("whole_name"), TSQUERY))
        by_index[search_text.PREFIX] = _names().op("@@")(cast(bindparam("name_start"), TSQUERY))
    listed = [] if shape.include_inactive else [Product.active.is_(True)]
    if shape.rx_class:
        listed.append(Product.drug_id.in_(select(Drug.id).where(Drug.rx_class == bindparam("rx_class"))))
    for n in range(shape.words):
        listed.append(or_(key.like(bindparam(f"word_{n}"), escape="\\"),
                          _among(shape, Product.drug_id, f"word_drugs_{n}")))
    size = bindparam("size", type_=Integer, literal_execute=True)
    tiers, taken = [], []
    for rank in RANKS[shape.first:]:
        where = list(listed)
        if shape.paged and rank == shape.first:
            where.append(tuple_(Product.name, Product.id) > tuple_(bindparam("after_name"), bindparam("after_id")))
        if rank > search_text.EXACT:
            where.append(~own[rank - 1])  # a better match of its own names ranks it higher
        parts = [_through_drugs(shape, rank, size, where)]
        elsewhere = ~_among(shape, Product.drug_id, f"not_drugs_{rank}")
        if rank in own:
            parts.append(_matches_first(rank, size, *where, by_index[rank], elsewhere))
        elif shape.words:  # the words found it, the whole term ranks it nowhere: last
            parts.append(_matches_first(rank, size, *where, elsewhere))
        room = size - sum(taken) if taken else size
        tier = _first(parts, room).cte(f"rank_{rank}")
        tiers.append(tier)
        taken.append(select(func.count()).select_from(tier).scalar_subquery())
    found = union_all(*(select(t.c.id, t.c.search_rank) for t in tiers)).subquery("found")
    return (select(Product, found.c.search_rank).join(found, found.c.id == Product.id)
            .order_by(found.c.search_rank, Product.name, Product.id))


def _columns(rank: int):
    return Product.id, Product.name, literal_column(str(rank), Integer).label("search_rank")


def _through_drugs(shape: _Shape, rank: int, size, where):
    """The first `size` products, in (name, id) order, of the drugs found with this rank."""
    drug_ids = f"drugs_{rank}"
    if not shape.postgres:
        return (select(*_columns(rank)).where(_among(shape, Product.drug_id, drug_ids), *where)
                .order_by(Product.name, Product.id).limit(size))
    drug = func.unnest(cast(bindparam(drug_ids), ARRAY(String))).table_valued("id").render_derived()
    each = (select(*_columns(rank)).where(Product.drug_id == drug.c.id, *where)
            .order_by(Product.name, Product.id).limit(size).lateral())
    return select(each).select_from(drug).join(each, true())


def _among(shape: _Shape, column, name: str):
    """`column IN (the list bound to name)`: an array on PostgreSQL, so that the statement's text,
    and with it the server's prepared plan, is the same whatever the list's length."""
    if shape.postgres:
        return column == any_(cast(bindparam(name), ARRAY(String)))
    return column.in_(bindparam(name, expanding=True))


def _matches_first(rank: int, size, *where):
    """The first `size` products meeting `where`, in (name, id) order: found first, then sorted.

    OFFSET 0 keeps PostgreSQL from walking the name index and testing every row instead, which
    reads the whole table when the matches are fewer than it guesses, or all begin with a late letter.
    """
    found = select(*_columns(rank)).where(*where).offset(0).subquery()
    return select(found).order_by(found.c.name, found.c.id).limit(size)


def _first(parts, room):
    """The first `room` rows of these queries together, in (name, id) order. PostgreSQL runs none
    of them when the room (the page less the better ranks' rows) comes to nothing."""
    merged = union_all(*(select(part.subquery()) for part in parts)).subquery()
    return select(merged).order_by(merged.c.name, merged.c.id).limit(room)


def _names():
    """The key's names (`|a|b|` → a, b) as the lexemes of a tsvector: whole names, not words, so a
    tsquery finds a name whole (`'term'`) or by its start (`'term':*`). Indexed on PostgreSQL
    (ix_products_search_names); constants, not parameters, so the planner matches the index."""
    bar = literal_column("'|'")
    return func.array_to_tsvector(func.string_to_array(func.btrim(Product.search_key, bar), bar))


def _lexeme(term: str) -> str:
    """A folded term as one quoted tsquery lexeme: its spaces, quotes and backslashes are letters."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
