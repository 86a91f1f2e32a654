"""Counts the `SET search_path` statements django-tenants' backend sends (bench and tests)."""
from __future__ import annotations

from contextlib import contextmanager

from django_tenants.postgresql_backend.base import DatabaseWrapper
from django_tenants.utils import get_limit_set_calls


@contextmanager
def count_search_path_changes():
    """Yields a one-item list whose value is the number of SET search_path statements so far."""
    counter = [0]
    original = DatabaseWrapper._handle_search_path

    def counting(self, cursor=None):
        will_set = not self._setting_search_path and not (get_limit_set_calls() and self.search_path_set_schemas)
        original(self, cursor)
        if will_set and self.search_path_set_schemas:
            counter[0] += 1

    DatabaseWrapper._handle_search_path = counting
    try:
        yield counter
    finally:
        DatabaseWrapper._handle_search_path = original
