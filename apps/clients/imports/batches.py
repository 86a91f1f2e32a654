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
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.permissions import user_object_perms_move
from apps.api.errors import DomainError
from apps.clients.imports.mapping import CUSTOM_PREFIX, row_fields
from apps.clients.imports.matching import (
    IMAGINED, IN_DATABASE, NEW, Imagined, Matcher, Ref, card_keys, contact_keys, lookup, row_keys,
)
from apps.clients.imports.models import ClientImport
from apps.clients.models import Client
from apps.clients.services import client_changes_apply, client_prepare

logger = logging.getLogger(__name__)

# What `client_create` grants a card's owner.
OWNER_PERMS = ["clients.view_client", "clients.change_client"]
LIST_FIELDS = ("phones", "emails", "tags")
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


# Planning a batch -----------------------------------------------------------------------------

@dataclass
class _Plan:
    results: list[RowResult] = field(default_factory=list)
    new_cards: list[Client] = field(default_factory=list)
    changed: dict[int, Client] = field(default_factory=dict)  # cards in the database an update changed
    changed_fields: set[str] = field(default_factory=set)
    registered: list[tuple[Ref, list[str]]] = field(default_factory=list)  # keys given to cards, for Imagined


def _update_fields(card: Client, fields: dict) -> dict:
    """The row's non-empty values for an existing card; phones, e-mails and tags are added to its own."""
    changes = {name: value for name, value in fields.items() if name != "kind"}
    for name in LIST_FIELDS:
        if name in changes:
            changes[name] = [*getattr(card, name), *changes[name]]
    return changes


def _plan(rows: list[tuple[int, list]], *, job: ClientImport, actor, definitions, region,
          imagined: Imagined | None) -> _Plan:
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
        keys = [] if mode == ClientImport.DuplicateMode.CREATE else row_keys(fields, card, region)
        parsed.append((number, fields, card, problem, keys))

    matcher = Matcher()
    cards: dict[Ref, Client] = {}
    if mode != ClientImport.DuplicateMode.CREATE:
        wanted = {key for *_rest, keys in parsed for key in keys}
        for pk, card in lookup(matcher, wanted, lock=mode == ClientImport.DuplicateMode.UPDATE).items():
            cards[Ref(IN_DATABASE, pk)] = card
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
            ref = Ref(NEW, len(plan.new_cards))
            plan.new_cards.append(card)
            cards[ref] = card
            keys_of_card = card_keys(card)
            matcher.add(ref, keys_of_card)
            plan.registered.append((ref, keys_of_card))
            plan.results.append(RowResult(number, Outcome.CREATED, card=card))
        elif mode == ClientImport.DuplicateMode.SKIP:
            plan.results.append(RowResult(number, Outcome.SKIPPED))
        else:
            plan.results.append(_update(plan, matcher, cards, target, number=number, fields=fields, imagined=imagined))
    return plan


def _update(plan: _Plan, matcher: Matcher, cards: dict, target: Ref, *, number: int, fields: dict,
            imagined: Imagined | None) -> RowResult:
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
    keys_before = card_keys(card)
    kept = dict(card.__dict__)
    try:
        changes = client_changes_apply(client=card, **_update_fields(card, fields))
    except DomainError as exc:
        card.__dict__.clear()
        card.__dict__.update(kept)  # a refused row leaves the card as it was
        return RowResult(number, Outcome.REJECTED, messages_of(exc))
    if target.rank == IMAGINED:
        keys_after = contact_keys(card.phones, card.emails)
        matcher.add(target, keys_after)
        plan.registered.append((target, keys_after))
        return RowResult(number, Outcome.UPDATED, changes=changes)
    keys_after = card_keys(card)
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
        # The error's text can quote the failing row (names, phones): log its kind only.
        logger.warning("client import %s: rows %s-%s refused together, retried one by one: %s",
                       job.pk, rows[0][0], rows[-1][0], type(exc).__name__)
        return _row_by_row(rows, **options)
    if imagined is not None:
        imagined.absorb(new_cards=plan.new_cards, registered=plan.registered)
    return plan.results


def _row_by_row(rows: list[tuple[int, list]], **options) -> list[RowResult]:
    results = []
    for row in rows:
        try:
            with transaction.atomic():
                plan = _plan([row], **options)
                _write(plan)
        except DatabaseError as exc:
            logger.warning("client import %s: row %s refused by the database: %s", options["job"].pk, row[0], type(exc).__name__)
            results.append(RowResult(row[0], Outcome.REJECTED, refused_by_database()))
            continue
        if options["imagined"] is not None:
            options["imagined"].absorb(new_cards=plan.new_cards, registered=plan.registered)
        results.extend(plan.results)
    return results
