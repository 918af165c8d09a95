"""State machines declared once as tables, and the one function that moves a row along them."""

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.errors import InvalidTransition
from core.i18n import _

# Every machine declared, by name, in declaration order: the reference docs are drawn from it.
MACHINES: dict[str, "StateMachine"] = {}


class StateMachine:
    """`name` is the record's noun as a reader says it ("order"); `article` is "a" or "an"
    before it, from its first letter unless given ("an hour", "a user" need saying).
    `initial` names the states a record may be created in, when that is not simply every state
    nothing moves to (a consultation triaged at once is created already referred offline)."""

    def __init__(self, name: str, transitions: dict[str, set[str]], *, article: str | None = None,
                 initial: tuple[str, ...] | None = None):
        if name in MACHINES:
            raise ValueError(f"A state machine named {name!r} is already declared.")
        unknown = set(initial or ()) - set(transitions)
        if unknown:
            raise ValueError(f"Initial states {sorted(unknown)} are not in the {name} table.")
        self.name = name
        self.transitions = transitions
        self.initial = tuple(initial) if initial else tuple(s for s in transitions
                                                            if not any(s in t for t in transitions.values()))
        self.article = article or ("an" if name.lower().startswith(tuple("aeiou")) else "a")
        MACHINES[name] = self

    @property
    def states(self) -> list[str]:
        """Every state, in the order the table first names it."""
        named = dict.fromkeys(self.transitions)
        for targets in self.transitions.values():
            named.update(dict.fromkeys(sorted(targets)))
        return list(named)

    def targets(self, current: str) -> list[str]:
        """The states `current` may become, in table order."""
        return [s for s in self.states if s in self.transitions.get(current, set())]

    @staticmethod
    def label(state: str) -> str:
        """A state as a sentence says it: `pending_payment` is "pending payment"."""
        return state.replace("_", " ")

    def allowed(self, current: str, target: str) -> bool:
        return target in self.transitions.get(current, set())

    def check(self, current: str, target: str) -> None:
        if not self.allowed(current, target):
            raise InvalidTransition(
                _("%(record)s that is %(current)s cannot become %(target)s.",
                  record=f"{self.article.capitalize()} {self.name}", current=self.label(current),
                  target=self.label(target)),
                current_status=current, target_status=target)

    def sources(self, target: str) -> set[str]:
        return {s for s, targets in self.transitions.items() if target in targets}

    def advance(self, session: Session, row, target: str, *, where=(), **values) -> None:
        """Move `row` to `target` with a conditional UPDATE on its current status.

        The WHERE on the status it was read in is what makes two concurrent movers safe:
        exactly one sees a row updated, the other a stale status and InvalidTransition.
        """
        current = row.status
        self.check(current, target)
        model = type(row)
        result = session.execute(
            update(model)
            .where(model.id == row.id, model.status == current, *where)
            .values(status=target, **values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.refresh(row)
            raise InvalidTransition(_("The %(record)s changed meanwhile; it is now %(current)s.",
                                      record=self.name, current=self.label(row.status)),
                                    current_status=row.status, target_status=target)
        session.refresh(row)
