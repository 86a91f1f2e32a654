"""How clients are found: one folded text per client, matched by substring (trigram-indexed).

Folding makes the search case- and accent-insensitive in Latin and Cyrillic alike ("Ёлкин" finds
"елкин", "José" finds "jose"), and phone digits make "4567" find "+380 67 111 4567".
"""
from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", plain.lower().replace("ё", "е")).strip()


def search_text_of(client) -> str:
    parts = [client.surname, client.first_name, client.patronymic, client.company_name, client.tax_id, client.registration_number]
    parts += list(client.emails or [])
    parts += [re.sub(r"\D", "", phone) for phone in client.phones or []]
    # Bounded: it is a btree key (at most ~2,700 bytes), and nobody searches past the start anyway.
    return fold(" ".join(p for p in parts if p))[:1000]


def query_terms(query: str) -> list[str]:
    """The words of a query, folded; a phone typed with spaces or dashes becomes its digits."""
    folded = fold(query.replace("\x00", ""))
    digits = re.sub(r"[\s\-()+.]", "", folded)
    if digits.isdigit():
        return [digits]
    return [word for word in folded.split(" ") if word]
