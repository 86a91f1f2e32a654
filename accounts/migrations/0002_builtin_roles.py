"""Built-in roles exist in every schema from the start (the template carries them into clones)."""
from django.db import migrations

BUILTIN = [
    ("owner", "Owner", "Runs the company's account: billing, owners, everything an admin does."),
    ("admin", "Admin", "Sets up pipelines, the team and roles; sees everything."),
    ("manager", "Manager", "Sees and reassigns all deals, clients and tasks; receives escalations."),
    ("staff", "Staff", "Works on the deals, clients and tasks they own or are responsible for."),
]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Role = apps.get_model("accounts", "Role")
    for code, name, description in BUILTIN:
        group, _ = Group.objects.get_or_create(name=f"role:{code}")
        Role.objects.update_or_create(
            code=code, defaults={"name": name, "description": description, "is_builtin": True, "group": group}
        )


def remove_roles(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Group = apps.get_model("auth", "Group")
    codes = [code for code, _n, _d in BUILTIN]
    Role.objects.filter(code__in=codes).delete()
    Group.objects.filter(name__in=[f"role:{c}" for c in codes]).delete()


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, remove_roles)]
