"""How a batch of rows becomes client cards: each row cleaned in Python by the client services' own
checks (`client_prepare`, `client_changes_apply`), the duplicates of the whole batch looked up at
once, then one insert of the new cards, one of their owners' rights, one update of the changed ones.

The run and the dry run both go through `batch_import`, so the dry run reports what the run does.

A row is a duplicate when one of its phones or e-mails is already on a card; a row with neither is
matched by its folded full name and birthday when it has a birthday, and is otherwise new. When
several cards match, the oldest wins. Rows are decided in file order and a row sees what the rows
before it did (a card an earlier row creates or gives a new phone), exactly as when each row was
written on its own.
"""
from __future__ import annotations

import logging
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import user_object_perms_move
from apps.api.errors import DomainError
from apps.clients.imports.mapping import CUSTOM_PREFIX, row_fields
from apps.clients.imports.models import ClientImport
from apps.clients.models import Client
from apps.clients.phones import phone_normalize
from apps.clients.search import fold
from apps.clients.services import client_changes_apply, client_prepare

logger = logging.getLogger(__name__)

# What `client_create` grants a card's owner.
OWNER_PERMS = ["clients.view_client", "clients.change_client"]
LIST_FIELDS = ("phones", "emails", "tags")
NAME_PARTS = ("surname", "first_name", "patronymic", "company_name")
INSERT_ROWS = 1000


class Outcome:
    CREATED, UPDATED, SKIPPED, REJECTED = "created", "updated", "skipped", "rejected"


@dataclass
class RowResult:
    number: int
    outcome: str
    errors: dict = field(default_factory=dict)
    card: Client | None = None  # the card the row created or updated (its id is set once written)
    changes: dict | None = None  # what an update changed, {field: [before, after]}


def messages_of(exc: DomainError) -> dict[str, list[str]]:
    """A service error as {field: [messages]}; "phones.1" is reported as "phones", "custom.<key>"
    as the mapping names it ("custom:<key>")."""
    out: dict[str, list[str]] = {}
    for name, errors in exc.fields.items():
        field_name = str(name).split(".")[0]
        if field_name == "custom" and "." in str(name):
            field_name = f"{CUSTOM_PREFIX}{str(name).split('.', 1)[1]}"
        for error in errors if isinstance(errors, (list, tuple)) else [errors]:
            text = " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
            out.setdefault(field_name, []).append(text)
    return out or {"non_field_errors": [exc.message]}


def refused_by_database() -> dict[str, list[str]]:
    return {"non_field_errors": [_("The database refused this row.")]}


# Keys -----------------------------------------------------------------------------------------
# "p:<E.164>", "e:<e-mail>", "n:<kind>:<folded full name>:<ISO birthday>".

def _name_key(kind: str, surname: str = "", first_name: str = "", patronymic: str = "", company_name: str = "") -> str:
    parts = [company_name] if kind == Client.Kind.COMPANY else [surname, first_name, patronymic]
    return fold(" ".join(p for p in parts if p))


def _birthday_key(kind: str, name: str, birthday) -> str:
    return f"n:{kind}:{name}:{birthday.isoformat()}"


def _contact_keys(phones: Iterable[str], emails: Iterable[str]) -> list[str]:
    return [f"p:{p}" for p in phones] + [f"e:{e}" for e in emails]


def _card_keys(card: Client) -> list[str]:
    """Every key that finds this card: its phones, its e-mails, its name and birthday."""
    keys = _contact_keys(card.phones or [], card.emails or [])
    if card.birthday:
        name = _name_key(card.kind, *(getattr(card, n) or "" for n in NAME_PARTS))
        if name:
            keys.append(_birthday_key(card.kind, name, card.birthday))
    return keys


def _row_keys(fields: dict, card: Client | None, region: str | None) -> list[str]:
    """The keys a row is looked up by: its phones and e-mails; without any, its name and birthday.
    A row the cleaning refused is still looked up by the values that can be read, so a duplicate
    with, say, a second broken e-mail is skipped as before rather than rejected."""
    if card is not None:
        phones, emails = card.phones, card.emails
    else:
        phones = []
        for raw in fields.get("phones", []):
            try:
                phones.append(phone_normalize(raw, region))
            except ValidationError:
                continue
        emails = [e.strip().lower() for e in fields.get("emails", []) if e.strip()]
    keys = _contact_keys(phones, emails)
    if not keys and fields.get("birthday"):
        name = _name_key(fields["kind"], *(fields.get(n, "") for n in NAME_PARTS))
        if name:
            keys = [_birthday_key(fields["kind"], name, fields["birthday"])]
    return keys


# Who a key belongs to -------------------------------------------------------------------------

IN_DATABASE, IMAGINED, NEW = 0, 1, 2


@dataclass(frozen=True, order=True)
class _Ref:
    """A card keys point at. The smallest is the oldest, and wins: cards in the database (by id),
    then cards earlier batches of a dry run would have created, then this batch's (in row order)."""

    rank: int
    number: int


class _Matcher:
    def __init__(self) -> None:
        self.refs: dict[str, set[_Ref]] = defaultdict(set)

    def add(self, ref: _Ref, keys: Iterable[str]) -> None:
        for key in keys:
            self.refs[key].add(ref)

    def forget(self, ref: _Ref, keys: Iterable[str]) -> None:
        for key in keys:
            self.refs.get(key, set()).discard(ref)

    def find(self, keys: list[str]) -> _Ref | None:
        found = [ref for key in keys for ref in self.refs.get(key, ())]
        return min(found) if found else None


# One GIN probe per phone and per e-mail. A single `phones && ARRAY[<500 phones>]` is one probe
# too, but the planner prices it as one comparison per row and picks a sequential scan on tables of
# ~10,000-200,000 cards, where each row is compared with all 500 (0.3 s a batch at 15,000 cards).
_HOLDERS = """
    SELECT m.id FROM unnest(%s::varchar[]) AS k(value)
        CROSS JOIN LATERAL (SELECT id FROM {table} WHERE phones && ARRAY[k.value]) AS m
    UNION
    SELECT m.id FROM unnest(%s::varchar[]) AS k(value)
        CROSS JOIN LATERAL (SELECT id FROM {table} WHERE emails && ARRAY[k.value]) AS m
"""
_CONTACT_INDEXES = [index.name for index in Client._meta.indexes if index.fields in (["phones"], ["emails"])]
_pending_lists_cleanable = True


def _pending_lists_clean() -> None:
    """Move the entries waiting in the phone and e-mail GIN indexes' pending lists into the indexes.

    Inserts go to a pending list (GIN "fastupdate"), which every search reads in full, for each
    key: after a few batches of bulk inserts a lookup of 500 keys took 0.6 s instead of 5 ms. The
    entries are merged once either way; doing it before each lookup keeps lookups fast. Only the
    indexes' owner may do it: elsewhere the import goes on without."""
    global _pending_lists_cleanable
    if not _pending_lists_cleanable:
        return
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["gin_clean_pending_list(%s::regclass)"] * len(_CONTACT_INDEXES)), _CONTACT_INDEXES)
    except DatabaseError as exc:
        _pending_lists_cleanable = False
        logger.warning("client import: cannot clean the GIN pending lists, lookups will be slower: %s", exc)


def _lookup(matcher: _Matcher, keys: set[str], *, lock: bool) -> dict[int, Client]:
    """Every card holding one of `keys`: one query for phones and e-mails (the GIN-indexed arrays),
    one for names and birthdays. With `lock` (update mode) the cards themselves, locked."""
    phones = sorted(k[2:] for k in keys if k.startswith("p:"))
    emails = sorted(k[2:] for k in keys if k.startswith("e:"))
    birthdays = {k.rsplit(":", 1)[1] for k in keys if k.startswith("n:")}
    cards: dict[int, Client] = {}
    if phones or emails:
        _pending_lists_clean()
        holders = RawSQL(_HOLDERS.format(table=connection.ops.quote_name(Client._meta.db_table)), [phones, emails])
        found = Client.objects.filter(pk__in=holders).order_by()
        if lock:
            for card in found.select_for_update():
                cards[card.pk] = card
                matcher.add(_Ref(IN_DATABASE, card.pk), _card_keys(card))
        else:
            for pk, card_phones, card_emails in found.values_list("pk", "phones", "emails"):
                matcher.add(_Ref(IN_DATABASE, pk), _contact_keys(card_phones, card_emails))
    if birthdays:
        named = Client.objects.filter(birthday__in=sorted(birthdays)).order_by().values_list("pk", "kind", *NAME_PARTS, "birthday")
        for pk, kind, *names, birthday in named:
            name = _name_key(kind, *(n or "" for n in names))
            if name:
                matcher.add(_Ref(IN_DATABASE, pk), [_birthday_key(kind, name, birthday)])
    return cards


class _CompactMap:
    """int -> int for very many entries at 16 bytes each: the latest in a dict, the rest in sorted
    runs of two arrays (a dict costs ~80 bytes an entry with its int objects)."""

    RUN = 65536

    def __init__(self) -> None:
        self.recent: dict[int, int] = {}
        self.runs: list[tuple[array, array]] = []

    def _find(self, key: int) -> tuple[array, int] | None:
        for keys, values in self.runs:
            index = bisect_left(keys, key)
            if index < len(keys) and keys[index] == key:
                return values, index
        return None

    def get(self, key: int) -> int | None:
        if key in self.recent:
            return self.recent[key]
        found = self._find(key)
        return None if found is None else found[0][found[1]]

    def set(self, key: int, value: int) -> None:
        found = None if key in self.recent else self._find(key)
        if found is not None:
            found[0][found[1]] = value
            return
        self.recent[key] = value
        if len(self.recent) >= self.RUN:
            items = sorted(self.recent.items())
            self.runs.append((array("q", (k for k, _v in items)), array("q", (v for _k, v in items))))
            self.recent = {}


class Imagined:
    """What the earlier batches of a dry run would have written, gone with their rollback: the keys
    of the cards they would create or give new phones and e-mails, so a later row repeating one is
    matched as the run will match it. Kept for the whole dry run, so kept small: per key its hash
    (64 bits; two of a million keys share one with a chance of about 1 in 40 million) and the oldest
    card it finds, 16 bytes; a byte per card."""

    def __init__(self) -> None:
        # hash(key) -> n >= 0, the n-th card the dry run would create, or -id, a card in the database.
        self.cards = _CompactMap()
        self.kinds = bytearray()  # per card the dry run would create: 1 a company, 0 a person
        self.aliases: dict[int, int] = {}  # ids of cards this batch wrote, which its rollback removes

    @staticmethod
    def _ref(value: int) -> _Ref:
        return _Ref(IN_DATABASE, -value) if value < 0 else _Ref(IMAGINED, value)

    def kind(self, ref: _Ref) -> str:
        return Client.Kind.COMPANY if self.kinds[ref.number] else Client.Kind.PERSON

    def seed(self, matcher: _Matcher, keys: Iterable[str]) -> None:
        for key in keys:
            value = self.cards.get(hash(key))
            if value is not None:
                matcher.add(self._ref(value), [key])

    def absorb(self, plan: _Plan) -> None:
        new = {}
        for index, card in enumerate(plan.new_cards):
            new[index] = number = len(self.kinds)
            self.kinds.append(card.kind == Client.Kind.COMPANY)
            if card.pk:
                self.aliases[card.pk] = number
        for ref, keys in plan.registered:
            if ref.rank == NEW:
                value = new[ref.number]
            elif ref.rank == IN_DATABASE:
                value = self.aliases.get(ref.number, -ref.number)
            else:
                value = ref.number
            for key in keys:
                known = self.cards.get(hash(key))
                if known is None or self._ref(value) < self._ref(known):
                    self.cards.set(hash(key), value)


# Planning a batch -----------------------------------------------------------------------------

@dataclass
class _Plan:
    results: list[RowResult] = field(default_factory=list)
    new_cards: list[Client] = field(default_factory=list)
    changed: dict[int, Client] = field(default_factory=dict)  # cards in the database an update changed
    changed_fields: set[str] = field(default_factory=set)
    registered: list[tuple[_Ref, list[str]]] = field(default_factory=list)  # keys given to cards, for Imagined


def _update_fields(card: Client, fields: dict) -> dict:
    """The row's non-empty values for an existing card; phones, e-mails and tags are added to its own."""
    changes = {name: value for name, value in fields.items() if name != "kind"}
    for name in LIST_FIELDS:
        if name in changes:
            changes[name] = [*getattr(card, name), *changes[name]]
    return changes


def _plan(rows: list[tuple[int, list]], *, job: ClientImport, actor, definitions, region, imagined: Imagined | None) -> _Plan:
    """Decide every row of the batch, in order, without writing: Python checks and two lookups."""
    mode = job.duplicate_mode
    plan = _Plan()
    parsed = []
    for number, cells in rows:
        fields, errors = row_fields(cells, job.mapping, definitions)
        if errors:
            parsed.append((number, None, None, errors, []))
            continue
        try:
            card, problem = client_prepare(actor=actor, definitions=definitions, **fields), None
        except DomainError as exc:
            card, problem = None, messages_of(exc)
        keys = [] if mode == ClientImport.DuplicateMode.CREATE else _row_keys(fields, card, region)
        parsed.append((number, fields, card, problem, keys))

    matcher = _Matcher()
    cards: dict[_Ref, Client] = {}
    if mode != ClientImport.DuplicateMode.CREATE:
        wanted = {key for *_rest, keys in parsed for key in keys}
        for pk, card in _lookup(matcher, wanted, lock=mode == ClientImport.DuplicateMode.UPDATE).items():
            cards[_Ref(IN_DATABASE, pk)] = card
        if imagined is not None:
            imagined.seed(matcher, wanted)

    for number, fields, card, problem, keys in parsed:
        if fields is None:
            plan.results.append(RowResult(number, Outcome.REJECTED, problem))
            continue
        target = matcher.find(keys) if keys else None
        if target is None:
            if card is None:
                plan.results.append(RowResult(number, Outcome.REJECTED, problem))
                continue
            ref = _Ref(NEW, len(plan.new_cards))
            plan.new_cards.append(card)
            cards[ref] = card
            card_keys = _card_keys(card)
            matcher.add(ref, card_keys)
            plan.registered.append((ref, card_keys))
            plan.results.append(RowResult(number, Outcome.CREATED, card=card))
        elif mode == ClientImport.DuplicateMode.SKIP:
            plan.results.append(RowResult(number, Outcome.SKIPPED))
        else:
            plan.results.append(_update(plan, matcher, cards, target, number=number, fields=fields, actor=actor, imagined=imagined))
    return plan


def _update(plan: _Plan, matcher: _Matcher, cards: dict, target: _Ref, *, number: int, fields: dict, actor, imagined) -> RowResult:
    """Apply a duplicate row to the card it repeats (update mode), as `client_update` would."""
    if target.rank == IMAGINED:
        # A card an earlier batch of this dry run would create: check the row's values on a
        # stand-in of its kind (a name, no contacts), which is what the run's update will check.
        card = Client(kind=imagined.kind(target), surname="-", company_name="-")
    else:
        card = cards.get(target)
        if card is None:  # found by name and birthday, or by an earlier batch of a dry run: lock it now
            card = Client.objects.select_for_update().filter(pk=target.number).first()
            if card is None:
                return RowResult(number, Outcome.REJECTED, refused_by_database())
            cards[target] = card
    keys_before = _card_keys(card)
    kept = dict(card.__dict__)
    try:
        changes = client_changes_apply(client=card, **_update_fields(card, fields))
    except DomainError as exc:
        card.__dict__.clear()
        card.__dict__.update(kept)  # a refused row leaves the card as it was
        return RowResult(number, Outcome.REJECTED, messages_of(exc))
    if target.rank == IMAGINED:
        keys_after = _contact_keys(card.phones, card.emails)
        matcher.add(target, keys_after)
        plan.registered.append((target, keys_after))
        return RowResult(number, Outcome.UPDATED, changes=changes)
    keys_after = _card_keys(card)
    matcher.forget(target, set(keys_before) - set(keys_after))  # a new name or birthday
    matcher.add(target, keys_after)
    plan.registered.append((target, keys_after))
    if target.rank == IN_DATABASE and changes:
        plan.changed[target.number] = card
        plan.changed_fields.update(changes)
    return RowResult(number, Outcome.UPDATED, card=card, changes=changes)


# Writing --------------------------------------------------------------------------------------

def _write(plan: _Plan) -> None:
    if plan.new_cards:
        Client.objects.bulk_create(plan.new_cards, batch_size=INSERT_ROWS)
        by_owner: dict[int, list[int]] = defaultdict(list)
        for card in plan.new_cards:
            by_owner[card.owner_id].append(card.pk)
        for owner_id, pks in by_owner.items():
            # Held by the owner and granted to them: a grant, in one insert (no one to take them from).
            user_object_perms_move(Client, {owner_id: pks}, OWNER_PERMS, grant_to=owner_id)
    if plan.changed:
        now = timezone.now()
        for card in plan.changed.values():
            card.updated_at = now  # bulk_update does not apply auto_now
        Client.objects.bulk_update(list(plan.changed.values()), sorted(plan.changed_fields | {"search_text", "updated_at"}))


def batch_import(*, rows: list[tuple[int, list]], job: ClientImport, actor, definitions=(), region: str | None = None,
                 imagined: Imagined | None = None) -> list[RowResult]:
    """Import `rows` ((row number, cells)) in a savepoint of the caller's transaction: one result per
    row, in order. When the database refuses the batch, each row is done again in its own savepoint,
    so a bad row costs only itself. A dry run passes `imagined` and rolls the batch back itself."""
    if imagined is not None:
        imagined.aliases.clear()
    options = {"job": job, "actor": actor, "definitions": definitions, "region": region, "imagined": imagined}
    try:
        with transaction.atomic():
            plan = _plan(rows, **options)
            _write(plan)
    except DatabaseError as exc:
        logger.warning("client import %s: rows %s-%s refused together, retried one by one: %s", job.pk, rows[0][0], rows[-1][0], exc)
        return _row_by_row(rows, **options)
    if imagined is not None:
        imagined.absorb(plan)
    return plan.results


def _row_by_row(rows: list[tuple[int, list]], **options) -> list[RowResult]:
    results = []
    for row in rows:
        try:
            with transaction.atomic():
                plan = _plan([row], **options)
                _write(plan)
        except DatabaseError as exc:
            logger.warning("client import %s: row %s refused by the database: %s", options["job"].pk, row[0], exc)
            results.append(RowResult(row[0], Outcome.REJECTED, refused_by_database()))
            continue
        if options["imagined"] is not None:
            options["imagined"].absorb(plan)
        results.extend(plan.results)
    return results
