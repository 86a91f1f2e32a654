"""A tenant schema cloned from the template is identical to one built by running migrations."""
import pytest
from django.db import connection

from tenants import schema

CATALOG_QUERIES = {
    "relations": """
        SELECT c.relname, c.relkind::text, c.relpersistence::text, pg_get_userbyid(c.relowner)
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = %(s)s ORDER BY 1
    """,
    "columns": """
        SELECT table_name, column_name, ordinal_position, data_type, udt_name, is_nullable,
               column_default, character_maximum_length, numeric_precision, numeric_scale,
               is_identity, identity_generation, identity_start, identity_increment,
               identity_maximum, identity_minimum, identity_cycle, is_generated,
               generation_expression, collation_name
        FROM information_schema.columns WHERE table_schema = %(s)s ORDER BY 1, 3
    """,
    "sequences": """
        SELECT sequencename, data_type::text, start_value, min_value, max_value, increment_by,
               cycle, cache_size, last_value, pg_get_userbyid(c.relowner)
        FROM pg_sequences s
        JOIN pg_namespace n ON n.nspname = s.schemaname
        JOIN pg_class c ON c.relname = s.sequencename AND c.relnamespace = n.oid
        WHERE schemaname = %(s)s ORDER BY 1
    """,
    "sequence_ownership": """
        SELECT seq.relname, tab.relname, att.attname, d.deptype::text
        FROM pg_depend d
        JOIN pg_class seq ON seq.oid = d.objid AND seq.relkind = 'S'
        JOIN pg_class tab ON tab.oid = d.refobjid
        JOIN pg_attribute att ON att.attrelid = tab.oid AND att.attnum = d.refobjsubid
        JOIN pg_namespace n ON n.oid = seq.relnamespace
        WHERE n.nspname = %(s)s AND d.deptype IN ('a', 'i') ORDER BY 1
    """,
    "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %(s)s ORDER BY 1",
    "constraints": """
        SELECT rel.relname, con.conname, con.contype::text, pg_get_constraintdef(con.oid),
               con.condeferrable, con.condeferred, con.convalidated
        FROM pg_constraint con
        JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_namespace n ON n.oid = rel.relnamespace
        WHERE n.nspname = %(s)s ORDER BY 1, 2
    """,
    "triggers": """
        SELECT rel.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled::text
        FROM pg_trigger t
        JOIN pg_class rel ON rel.oid = t.tgrelid
        JOIN pg_namespace n ON n.oid = rel.relnamespace
        WHERE n.nspname = %(s)s AND NOT t.tgisinternal ORDER BY 1, 2
    """,
    "functions": """
        SELECT p.proname, pg_get_function_identity_arguments(p.oid), pg_get_functiondef(p.oid)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = %(s)s ORDER BY 1, 2
    """,
    "migrations": "SELECT app, name FROM {schema}.django_migrations ORDER BY 1, 2",
    "roles": "SELECT code, name, is_builtin FROM {schema}.accounts_role ORDER BY 1",
    "groups": "SELECT name FROM {schema}.auth_group ORDER BY 1",
    "permissions": """
        SELECT ct.app_label, ct.model, p.codename FROM {schema}.auth_permission p
        JOIN public.django_content_type ct ON ct.id = p.content_type_id ORDER BY 1, 2, 3
    """,
}


def describe(name: str) -> dict[str, list[tuple]]:
    quoted = f'"{name}"'
    out = {}
    with connection.cursor() as cursor:
        # Every name is printed schema-qualified, then the schema is replaced by a placeholder.
        cursor.execute("SET LOCAL search_path = pg_catalog")
        for key, sql in CATALOG_QUERIES.items():
            cursor.execute(sql.replace("{schema}", quoted), {"s": name})
            rows = cursor.fetchall()
            out[key] = [
                tuple(
                    v.replace(quoted + ".", "SCHEMA.").replace(name + ".", "SCHEMA.") if isinstance(v, str) else v
                    for v in row
                )
                for row in rows
            ]
    connection.set_schema_to_public()
    return out


@pytest.mark.django_db
def test_cloned_schema_is_identical_to_migrated_schema():
    connection.set_schema_to_public()
    schema.schema_clone(source=schema.template_schema(), target="cmp-cloned")
    schema.schema_migrate("cmp-migrated", create=True)

    cloned, migrated = describe("cmp-cloned"), describe("cmp-migrated")

    assert cloned["relations"], "the clone has no tables at all"
    assert any(row[1] == "audit_event_no_update_delete" for row in cloned["triggers"]), "audit triggers missing"
    for key in CATALOG_QUERIES:
        assert cloned[key] == migrated[key], f"{key} differ between the cloned and the migrated schema"


@pytest.mark.django_db
def test_template_schema_is_at_the_latest_migration():
    assert schema.schemas_needing_migration([schema.template_schema()]) == []


@pytest.mark.django_db
def test_a_schema_missing_a_migration_is_reported_behind():
    schema.schema_clone(source=schema.template_schema(), target="cmp-behind")
    with connection.cursor() as cursor:
        cursor.execute("""DELETE FROM "cmp-behind".django_migrations WHERE app = 'accounts' AND name = '0002_builtin_roles'""")
    assert schema.schemas_needing_migration(["cmp-behind", schema.template_schema()]) == ["cmp-behind"]


@pytest.mark.django_db
def test_a_spare_schema_renamed_at_signup_is_identical_to_a_migrated_schema():
    from tenants import spares

    spares.spares_refill(target=1)
    assert spares.spare_take_as("cmp-spare")
    schema.schema_migrate("cmp-migrated2", create=True)
    taken, migrated = describe("cmp-spare"), describe("cmp-migrated2")
    for key in CATALOG_QUERIES:
        assert taken[key] == migrated[key], f"{key} differ between a renamed spare and a migrated schema"


@pytest.mark.django_db
def test_spares_of_an_older_template_are_replaced_not_handed_out():
    from tenants import spares
    from tenants.models import SpareSchema

    spares.spares_refill(target=1)
    SpareSchema.objects.update(template_state="old")
    old_names = set(SpareSchema.objects.values_list("name", flat=True))
    assert not spares.spare_take_as("cmp-stale")
    assert spares.spares_refill(target=1) == 1
    assert not SpareSchema.objects.filter(name__in=old_names).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_namespace WHERE nspname = ANY(%s)", [list(old_names)])
        assert cursor.fetchone()[0] == 0
