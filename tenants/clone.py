"""Clone the template schema into a new tenant schema with one prepared SQL script.

Why our own: django-tenants' generic clone_schema() function renames every UNIQUE constraint
and turns integer identity sequences into bigint ones, so its clones differ from migrated
schemas (tests/tenants/test_schema_clone.py catches exactly that), and it re-plans the whole
clone on every call. Here the script is built once from the template's catalogs, with every
object named exactly as the template names it, cached per process until the template's
migrations change, and replayed with the new schema's name:

    functions -> tables (columns, defaults, identity) -> rows -> sequence positions
    -> primary/unique/check/exclusion constraints -> other indexes -> foreign keys -> triggers

Everything runs in the caller's transaction, so a failed signup leaves no half-made schema.
"""
from __future__ import annotations

import threading

from django.db import connection, transaction

TARGET = "\x00TARGET\x00"

_cache_lock = threading.Lock()
_cache: dict[str, tuple[str, str]] = {}  # source schema -> (template state, script)


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _requalify(text: str, source: str) -> str:
    """Point schema-qualified names of `source` at the target placeholder."""
    return text.replace(_qi(source) + ".", TARGET + ".").replace(source + ".", TARGET + ".")


def _fetch(cursor, sql: str, params=None) -> list[tuple]:
    cursor.execute(sql, params or [])
    return cursor.fetchall()


def template_state(cursor, source: str) -> str:
    """Changes whenever a migration runs in the template (new rows in its django_migrations)."""
    rows = _fetch(cursor, f"SELECT count(*), coalesce(max(id), 0) FROM {_qi(source)}.django_migrations")
    return f"{rows[0][0]}:{rows[0][1]}"


def build_clone_script(cursor, source: str) -> str:
    """The SQL that recreates `source` (structure and rows) under the TARGET placeholder."""
    # With an empty search_path every name the catalog functions print is schema-qualified.
    cursor.execute("SET LOCAL search_path = pg_catalog")
    oid = _fetch(cursor, "SELECT oid FROM pg_namespace WHERE nspname = %s", [source])[0][0]

    unsupported = _fetch(
        cursor,
        "SELECT relname, relkind FROM pg_class WHERE relnamespace = %s AND relkind NOT IN ('r', 'i', 'S', 'v')",
        [oid],
    )
    if unsupported:
        raise NotImplementedError(f"cannot clone relations of these kinds yet: {unsupported}")

    statements = [f"CREATE SCHEMA {TARGET}"]

    for (definition,) in _fetch(
        cursor, "SELECT pg_get_functiondef(p.oid) FROM pg_proc p WHERE p.pronamespace = %s ORDER BY p.oid", [oid]
    ):
        statements.append(_requalify(definition, source))

    # Sequences that are not identity sequences (serial columns or free-standing ones).
    sequences = _fetch(
        cursor,
        """
        SELECT c.relname, format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
               s.seqcache, s.seqcycle,
               EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'i') AS is_identity
        FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
        WHERE c.relnamespace = %s
        ORDER BY c.relname
        """,
        [oid],
    )
    identity_sequences = []
    for name, type_, start, increment, minimum, maximum, cache_, cycle, is_identity in sequences:
        spec = (
            f"AS {type_} INCREMENT {increment} MINVALUE {minimum} MAXVALUE {maximum} START {start} "
            f"CACHE {cache_} {'CYCLE' if cycle else 'NO CYCLE'}"
        )
        if is_identity:
            # LIKE ... INCLUDING IDENTITY makes the sequence but not always of the same type.
            identity_sequences.append(f"ALTER SEQUENCE {TARGET}.{_qi(name)} {spec}")
        else:
            statements.append(f"CREATE SEQUENCE {TARGET}.{_qi(name)} {spec}")

    tables = _fetch(
        cursor,
        "SELECT relname, relpersistence FROM pg_class WHERE relnamespace = %s AND relkind = 'r' ORDER BY relname",
        [oid],
    )
    for name, persistence in tables:
        unlogged = "UNLOGGED " if persistence == "u" else ""
        statements.append(
            f"CREATE {unlogged}TABLE {TARGET}.{_qi(name)} (LIKE {_qi(source)}.{_qi(name)} "
            "INCLUDING IDENTITY INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION INCLUDING COMMENTS)"
        )

    statements.extend(identity_sequences)

    # Column defaults, re-pointed at the target's own sequences.
    for table, column, default in _fetch(
        cursor,
        """
        SELECT c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid)
        FROM pg_attrdef d
        JOIN pg_class c ON c.oid = d.adrelid
        JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
        WHERE c.relnamespace = %s AND c.relkind = 'r' AND a.attgenerated = ''
        ORDER BY c.relname, a.attnum
        """,
        [oid],
    ):
        statements.append(
            f"ALTER TABLE {TARGET}.{_qi(table)} ALTER COLUMN {_qi(column)} SET DEFAULT {_requalify(default, source)}"
        )
    for sequence, table, column in _fetch(
        cursor,
        """
        SELECT s.relname, t.relname, a.attname FROM pg_depend d
        JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE s.relnamespace = %s AND d.deptype = 'a'
        """,
        [oid],
    ):
        statements.append(f"ALTER SEQUENCE {TARGET}.{_qi(sequence)} OWNED BY {TARGET}.{_qi(table)}.{_qi(column)}")

    # Rows (recorded migrations, permissions, built-in roles ...), before constraints and indexes.
    for name, _persistence in tables:
        columns = [
            row[0]
            for row in _fetch(
                cursor,
                """
                SELECT attname FROM pg_attribute
                WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''
                ORDER BY attnum
                """,
                [f"{_qi(source)}.{_qi(name)}"],
            )
        ]
        column_list = ", ".join(_qi(c) for c in columns)
        statements.append(
            f"INSERT INTO {TARGET}.{_qi(name)} ({column_list}) OVERRIDING SYSTEM VALUE "
            f"SELECT {column_list} FROM {_qi(source)}.{_qi(name)}"
        )

    # Sequence positions, identity sequences included.
    for (name,) in _fetch(cursor, "SELECT relname FROM pg_class WHERE relnamespace = %s AND relkind = 'S' ORDER BY relname", [oid]):
        source_seq = f"{_qi(source)}.{_qi(name)}"
        statements.append(
            f"SELECT setval('{TARGET}.{_qi(name)}', last_value, is_called) FROM {source_seq}"
        )

    constraints = _fetch(
        cursor,
        """
        SELECT rel.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
        FROM pg_constraint con JOIN pg_class rel ON rel.oid = con.conrelid
        WHERE rel.relnamespace = %s AND con.contype IN ('p', 'u', 'c', 'x', 'f')
        ORDER BY CASE con.contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 WHEN 'x' THEN 1 WHEN 'c' THEN 2 ELSE 4 END,
                 rel.relname, con.conname
        """,
        [oid],
    )
    foreign_keys = []
    for table, name, kind, definition in constraints:
        statement = f"ALTER TABLE {TARGET}.{_qi(table)} ADD CONSTRAINT {_qi(name)} {_requalify(definition, source)}"
        (foreign_keys if kind == "f" else statements).append(statement)

    for (definition,) in _fetch(
        cursor,
        """
        SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i
        JOIN pg_class c ON c.oid = i.indexrelid
        WHERE c.relnamespace = %s
          AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid AND con.contype IN ('p', 'u', 'x'))
        ORDER BY c.relname
        """,
        [oid],
    ):
        statements.append(_requalify(definition, source))

    statements.extend(foreign_keys)

    for (definition,) in _fetch(
        cursor,
        """
        SELECT pg_get_triggerdef(t.oid) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
        WHERE c.relnamespace = %s AND NOT t.tgisinternal ORDER BY c.relname, t.tgname
        """,
        [oid],
    ):
        statements.append(_requalify(definition, source))

    for name, definition in _fetch(
        cursor, "SELECT relname, pg_get_viewdef(oid) FROM pg_class WHERE relnamespace = %s AND relkind = 'v' ORDER BY oid", [oid]
    ):
        statements.append(f"CREATE VIEW {TARGET}.{_qi(name)} AS {_requalify(definition, source)}")

    cursor.execute("SET LOCAL search_path = public")
    return ";\n".join(statements) + ";"


def clone_script(cursor, source: str) -> str:
    state = template_state(cursor, source)
    with _cache_lock:
        cached = _cache.get(source)
        if cached and cached[0] == state:
            return cached[1]
    script = build_clone_script(cursor, source)
    with _cache_lock:
        _cache[source] = (state, script)
    return script


def clone_schema(*, source: str, target: str) -> None:
    """Create schema `target` as a copy of `source` in the current transaction."""
    with transaction.atomic(), connection.cursor() as cursor:
        script = clone_script(cursor, source)
        cursor.execute(script.replace(TARGET, _qi(target)))
