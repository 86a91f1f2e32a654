"""Who a row repeats: the keys a row and a card are found by, the cards in the database holding a
batch's keys (found in one query), and, for a dry run, what its rolled-back batches would have made.

Keys: "p:<E.164 phone>", "e:<e-mail>", and "n:<kind>:<folded full name>:<ISO birthday>" (a row is
looked up by the last only when it has no phone and no e-mail).
"""
from __future__ import annotations

import logging
from array import array
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models.expressions import RawSQL

from apps.clients.models import Client
from apps.clients.phones import phone_normalize
from apps.clients.search import fold

logger = logging.getLogger(__name__)

NAME_PARTS = ("surname", "first_name", "patronymic", "company_name")


# Keys -----------------------------------------------------------------------------------------

def name_key(kind: str, surname: str = "", first_name: str = "", patronymic: str = "", company_name: str = "") -> str:
    parts = [company_name] if kind == Client.Kind.COMPANY else [surname, first_name, patronymic]
    return fold(" ".join(p for p in parts if p))


def birthday_key(kind: str, name: str, birthday) -> str:
    return f"n:{kind}:{name}:{birthday.isoformat()}"


def contact_keys(phones: Iterable[str], emails: Iterable[str]) -> list[str]:
    return [f"p:{p}" for p in phones] + [f"e:{e}" for e in emails]


def card_keys(card: Client) -> list[str]:
    """Every key that finds this card: its phones, its e-mails, its name and birthday."""
    keys = contact_keys(card.phones or [], card.emails or [])
    if card.birthday:
        name = name_key(card.kind, *(getattr(card, n) or "" for n in NAME_PARTS))
        if name:
            keys.append(birthday_key(card.kind, name, card.birthday))
    return keys


def row_keys(fields: dict, card: Client | None, region: str | None) -> list[str]:
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
    keys = contact_keys(phones, emails)
    if not keys and fields.get("birthday"):
        name = name_key(fields["kind"], *(fields.get(n, "") for n in NAME_PARTS))
        if name:
            keys = [birthday_key(fields["kind"], name, fields["birthday"])]
    return keys


# Who a key belongs to -------------------------------------------------------------------------

IN_DATABASE, IMAGINED, NEW = 0, 1, 2


@dataclass(frozen=True, order=True)
class Ref:
    """A card keys point at. The smallest is the oldest, and wins: cards in the database (by id),
    then cards earlier batches of a dry run would have created, then this batch's (in row order)."""

    rank: int
    number: int


class Matcher:
    """The cards each key of a batch points at, kept up to date as the batch's rows are decided."""

    def __init__(self) -> None:
        self.refs: dict[str, set[Ref]] = defaultdict(set)

    def add(self, ref: Ref, keys: Iterable[str]) -> None:
        for key in keys:
            self.refs[key].add(ref)

    def forget(self, ref: Ref, keys: Iterable[str]) -> None:
        for key in keys:
            self.refs.get(key, set()).discard(ref)

    def find(self, keys: list[str]) -> Ref | None:
        found = [ref for key in keys for ref in self.refs.get(key, ())]
        return min(found) if found else None


# One GIN probe per phone and per e-mail (a lateral join over the values). The planner prices a plain
# `phones && ARRAY[<500 phones>]` as one comparison per row, so on a mid-sized table it picks a
# sequential scan that compares every row with all 500 values (0.28 s a batch at 15,000 cards).
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
            calls = ", ".join(["gin_clean_pending_list(%s::regclass)"] * len(_CONTACT_INDEXES))
            cursor.execute(f"SELECT {calls}", _CONTACT_INDEXES)
    except DatabaseError as exc:
        _pending_lists_cleanable = False
        logger.warning("client import: cannot clean the GIN pending lists, lookups will be slower: %s", exc)


def lookup(matcher: Matcher, keys: set[str], *, lock: bool) -> dict[int, Client]:
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
                matcher.add(Ref(IN_DATABASE, card.pk), card_keys(card))
        else:
            for pk, card_phones, card_emails in found.values_list("pk", "phones", "emails"):
                matcher.add(Ref(IN_DATABASE, pk), contact_keys(card_phones, card_emails))
    if birthdays:
        named = Client.objects.filter(birthday__in=sorted(birthdays)).order_by()
        named = named.values_list("pk", "kind", *NAME_PARTS, "birthday")
        for pk, kind, *names, birthday in named:
            name = name_key(kind, *(n or "" for n in names))
            if name:
                matcher.add(Ref(IN_DATABASE, pk), [birthday_key(kind, name, birthday)])
    return cards


class CompactMap:
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
        self.cards = CompactMap()
        self.kinds = bytearray()  # per card the dry run would create: 1 a company, 0 a person
        self.aliases: dict[int, int] = {}  # ids of cards this batch wrote, which its rollback removes

    @staticmethod
    def _ref(value: int) -> Ref:
        return Ref(IN_DATABASE, -value) if value < 0 else Ref(IMAGINED, value)

    def kind(self, ref: Ref) -> str:
        return Client.Kind.COMPANY if self.kinds[ref.number] else Client.Kind.PERSON

    def seed(self, matcher: Matcher, keys: Iterable[str]) -> None:
        for key in keys:
            value = self.cards.get(hash(key))
            if value is not None:
                matcher.add(self._ref(value), [key])

    def absorb(self, *, new_cards: list[Client], registered: list[tuple[Ref, list[str]]]) -> None:
        """Remember a written batch: the cards it created (`new_cards`, in order; NEW refs number
        them) and the keys it gave to cards (`registered`)."""
        new = {}
        for index, card in enumerate(new_cards):
            new[index] = number = len(self.kinds)
            self.kinds.append(card.kind == Client.Kind.COMPANY)
            if card.pk:
                self.aliases[card.pk] = number
        for ref, keys in registered:
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
