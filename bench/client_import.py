"""Client import of a large XLSX file: rows per second and memory.

    python bench/client_import.py [--rows 100000] [--mode skip] [--dry-run] [--keep]

Writes a generated XLSX (openpyxl write_only, streamed to disk) into a temporary folder, then,
in a fresh bench tenant and in this process, uploads it (`client_import_upload`: stores it, reads
the header, counts the rows), optionally dry-runs it, and runs it (`client_import_start`, the task
run eagerly). Prints each step's time, rows per second, and the peak RSS (getrusage) before and
after each step: the reader streams, so the peak should stay flat as --rows grows. Every fifth
row repeats an earlier phone (a duplicate for --mode), every 50th has a bad e-mail.
"""
import argparse
import os
import random
import resource
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"
os.environ.setdefault("CELERY_BROKER_URL", "memory://")
# With DEBUG Django keeps the text of the last 9,000 queries, and a bulk insert's is ~300 KB: the
# memory figure would measure that log, not the import.
os.environ.setdefault("DEBUG", "0")

import _setup  # noqa: E402,F401
from django.core.files import File  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from _fixtures import bench_tenant  # noqa: E402
from tenants.services import tenant_delete  # noqa: E402

SURNAMES = ["Шевченко", "Коваленко", "Бондаренко", "Ткаченко", "Кравченко", "Олійник", "Іваненко", "Петренко", "Иванов",
            "Смирнов", "Кузнецов", "Попов", "Smith", "Johnson", "Brown", "Müller", "García", "Kowalski"]
FIRST = ["Олена", "Тарас", "Андрій", "Марія", "Іван", "Наталія", "Сергей", "Анна", "Дмитрий", "John", "Anna", "José"]
PATRONYMIC = ["Іванович", "Петрівна", "Сергеевич", "Андреевна", "Олександрович", "Миколаївна", ""]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def memory() -> str:
    return f"RSS now {current_rss_mb():6.1f} MB, peak {peak_rss_mb():6.1f} MB"


def xlsx_write(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    rng = random.Random(7)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Clients")
    sheet.append(["Прізвище", "Ім'я", "По батькові", "Телефон", "E-mail", "Дата народження", "Компанія", "Примітка"])
    born = date(1950, 1, 1)
    for n in range(rows):
        phone_n = n - 3 if n % 5 == 4 else n  # every fifth row repeats an earlier phone
        email = f"client{n}@example.com" if n % 50 else f"client{n}@"  # every 50th e-mail is bad
        sheet.append([
            rng.choice(SURNAMES), rng.choice(FIRST), rng.choice(PATRONYMIC), f"+38067{phone_n:07d}", email,
            born + timedelta(days=rng.randrange(20_000)), "ТОВ Ромашка" if n % 7 == 0 else None, f"row {n}",
        ])
    workbook.save(path)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--mode", choices=["skip", "update", "create"], default="skip")
    parser.add_argument("--dry-run", action="store_true", help="also time the dry run")
    parser.add_argument("--keep", action="store_true", help="keep the bench tenant")
    args = parser.parse_args()

    from accounts.models import User
    from apps.clients.imports import services
    from apps.clients.imports.models import ClientImport
    from apps.clients.models import Client

    print(f"start:                {memory()}")
    tenant = bench_tenant("bench-import")
    try:
        with tempfile.TemporaryDirectory() as folder, schema_context(tenant.schema_name):
            path = Path(folder) / "clients.xlsx"
            started = time.perf_counter()
            xlsx_write(path, args.rows)
            print(f"generated {args.rows} rows ({path.stat().st_size / 2**20:.1f} MB) in {time.perf_counter() - started:.1f} s; {memory()}")
            owner = User.objects.get()

            started = time.perf_counter()
            with path.open("rb") as handle:
                job = services.client_import_upload(actor=owner, uploaded_file=File(handle, name="clients.xlsx"), duplicate_mode=args.mode)
            elapsed = time.perf_counter() - started
            print(f"upload (store, header, count {job.total_rows} rows): {elapsed:6.1f} s; {memory()}")

            if args.dry_run:
                started = time.perf_counter()
                report = services.client_import_dry_run(job=job)
                elapsed = time.perf_counter() - started
                print(f"dry run: {elapsed:6.1f} s, {job.total_rows / elapsed:7.0f} rows/s; would create {report['would_create']}, "
                      f"update {report['would_update']}, skip {report['would_skip']}, reject {report['error_count']}; {memory()}")

            before = peak_rss_mb()
            started = time.perf_counter()
            services.client_import_start(job=job, actor=owner)  # the task runs eagerly after commit
            elapsed = time.perf_counter() - started
            job = ClientImport.objects.get(pk=job.pk)
            print(f"run ({args.mode}): {elapsed:6.1f} s, {job.processed_rows / elapsed:7.0f} rows/s; status {job.status}; "
                  f"created {job.created_count}, updated {job.updated_count}, skipped {job.skipped_count}, "
                  f"errors {job.error_count}; clients in the tenant {Client.objects.count()}")
            print(f"peak RSS before the run {before:.1f} MB, after {peak_rss_mb():.1f} MB (+{peak_rss_mb() - before:.1f} MB); {memory()}")
            job.file.delete(save=False)
    finally:
        if not args.keep:
            tenant_delete(tenant=tenant)


if __name__ == "__main__":
    main()
