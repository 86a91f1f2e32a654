"""The client search box over 1,000,000 clients in one tenant.

    python bench/client_search.py [--clients 1000000] [--queries 300]

Fills one bench tenant's client table with generated people (Cyrillic and Latin names, phones,
e-mails) in SQL, then times the search the client list and the API run: the first page (20
rows, ranked) of `client_search(...)`, and separately the total count the API's pagination adds.
Queries mix surname prefixes, name fragments in the middle of words, phone endings and e-mail
parts. The tenant is kept (bench-search-*) and reused by later runs.
"""
import argparse
import os
import random
import statistics
import time

os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

import _setup  # noqa: E402,F401
from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from _fixtures import bench_tenant  # noqa: E402
from _setup import percentile  # noqa: E402
from apps.clients.models import Client  # noqa: E402
from apps.clients.search import fold  # noqa: E402
from apps.clients.selectors import client_search, client_search_top  # noqa: E402
from tenants.models import Tenant  # noqa: E402

SURNAMES = ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Іваненко", "Петренко", "Иванов",
            "Смирнов", "Кузнецов", "Попов", "Соколов", "Лебедев", "Козлов", "Новиков", "Морозов", "Волков", "Ёлкин",
            "Smith", "Johnson", "Brown", "Taylor", "Wilson", "Müller", "García", "Kowalski", "Nowak", "Horvat"]
FIRST = ["Олена", "Тарас", "Андрій", "Марія", "Іван", "Наталія", "Сергей", "Анна", "Дмитрий", "Ольга", "John", "Anna",
         "José", "Petra", "Jan", "Ewa", "Luka"]
PATRONYMIC = ["Іванович", "Петрівна", "Сергеевич", "Андреевна", "Олександрович", "Миколаївна", ""]


def ensure_clients(schema_name: str, count: int) -> int:
    with schema_context(schema_name):
        have = Client.objects.count()
        if have >= count:
            return have
        from accounts.models import User

        owner_id = User.objects.values_list("pk", flat=True).first()
        surnames = "ARRAY[" + ",".join(f"'{s}'" for s in SURNAMES) + "]"
        first = "ARRAY[" + ",".join(f"'{s}'" for s in FIRST) + "]"
        patronymic = "ARRAY[" + ",".join(f"'{s}'" for s in PATRONYMIC) + "]"
        started = time.perf_counter()
        with connection.cursor() as cursor:
            # Generated in SQL: 1,000,000 rows through the ORM would take an hour. The folded
            # search text is built as search.fold() builds it for these names (lower case, marks
            # dropped: ё -> е, й -> и, ї -> і, é -> e ...).
            cursor.execute(
                f"""
                INSERT INTO clients_client (kind, surname, first_name, patronymic, company_name, phones, emails, address,
                    tax_id, registration_number, bank_details, tags, notes, consent_email, consent_sms, owner_id,
                    search_text, created_at, updated_at, custom)
                SELECT 'person', s, f, p, '', ARRAY[ph], ARRAY[em], '', '', '', '', '{{}}', '', false, false, %s,
                       translate(lower(concat_ws(' ', s, f, nullif(p, ''), em, substr(ph, 2))), 'ёйїéüíáó', 'еиіeuiao'), now(), now(), '{{}}'::jsonb
                FROM (
                    SELECT ({surnames})[1 + (g * 7919) %% {len(SURNAMES)}] || CASE WHEN g %% 3 = 0 THEN '' ELSE '-' || (g %% 9973)::text END AS s,
                           ({first})[1 + (g * 104729) %% {len(FIRST)}] AS f,
                           ({patronymic})[1 + g %% {len(PATRONYMIC)}] AS p,
                           '+380' || lpad(((g::bigint * 2654435761) %% 1000000000)::text, 9, '0') AS ph,
                           'client' || g || '@mail' || (g %% 50) || '.test' AS em
                    FROM generate_series(%s::bigint, %s::bigint) AS g
                ) AS generated
                """,
                [owner_id, have + 1, count],
            )
            cursor.execute("ANALYZE clients_client")
        print(f"inserted {count - have} clients in {time.perf_counter() - started:.0f} s")
        return count


def queries(n: int) -> list[tuple[str, str]]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            out.append(("surname prefix", rng.choice(SURNAMES)[:5]))
        elif kind == 1:
            word = rng.choice(SURNAMES)
            start = rng.randint(1, max(1, len(word) - 4))
            out.append(("fragment inside a name", word[start:start + 4]))
        elif kind == 2:
            out.append(("phone ending (7 digits)", f"{rng.randint(0, 9999999):07d}"))
        elif kind == 3:
            out.append(("surname and first name", f"{rng.choice(SURNAMES)} {rng.choice(FIRST)[:3]}"))
        else:
            out.append(("e-mail part", f"client{rng.randint(1, 999999)}@"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()

    tenant = Tenant.objects.filter(schema_name__startswith="bench-search-").first() or bench_tenant("bench-search")
    total = ensure_clients(tenant.schema_name, args.clients)
    with schema_context(tenant.schema_name):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_indexes WHERE indexname = 'client_search_trgm' AND schemaname = current_schema()")
            has_trgm = cursor.fetchone()[0] == 1
        print(f"tenant {tenant.schema_name}: {total} clients; trigram index: {'yes' if has_trgm else 'NO (sequential scans)'}")
        base = Client.objects.all()
        for _kind, q in queries(20):  # warm the cache as a running server would be
            client_search_top(base, q, 20)
        top, page, count = {}, {}, {}
        for kind, q in queries(args.queries):
            t0 = time.perf_counter()
            found = client_search_top(base, q, 20)
            top.setdefault(kind, []).append(time.perf_counter() - t0)
            assert all(term in c.search_text for c in found for term in fold(q).split()), q
            t0 = time.perf_counter()
            list(client_search(base, q).values_list("pk", flat=True)[:20])
            page.setdefault(kind, []).append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            client_search(base, q).count()
            count.setdefault(kind, []).append(time.perf_counter() - t0)
    for title, figures in (("search box (client_search_top, 20 rows)", top), ("API first page, fully sorted (client_search)", page), ("API total count", count)):
        everything = [v for values in figures.values() for v in values]
        print(f"{title}: p50 {statistics.median(everything) * 1000:.1f} ms, p95 {percentile(everything, 0.95) * 1000:.1f} ms")
        for kind, values in figures.items():
            print(f"  {kind:<26} p50 {statistics.median(values) * 1000:6.1f} ms  p95 {percentile(values, 0.95) * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
