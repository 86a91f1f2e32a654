"""deal_move under a realistic tenant: 10,000 deals, a team with roles, the window pipeline.

    python bench/deal_move.py [--deals 10000] [--moves 300]

Moves sample deals one stage forward (clarify -> assign-measurer -> schedule-measurement, the
last one assigning a measurer least-loaded and creating an automation task), timing each call
of the service, then prints p50/p95/max and the queries per move.
"""
import argparse
import os
import statistics
import time

os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
os.environ["CELERY_BROKER_URL"] = "memory://"

import _setup  # noqa: E402,F401
from django.db import connection  # noqa: E402
from django_tenants.utils import schema_context  # noqa: E402

from _fixtures import bench_tenant, bulk_deals, team  # noqa: E402
from _setup import percentile  # noqa: E402
from apps.deals.services import deal_move  # noqa: E402
from tenants.services import tenant_delete  # noqa: E402
from workflows.selectors import version_published_latest  # noqa: E402
from workflows.services.definitions import pipeline_install_blueprint  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deals", type=int, default=10_000)
    parser.add_argument("--moves", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the bench tenant")
    args = parser.parse_args()

    tenant = bench_tenant("bench-mv")
    with schema_context(tenant.schema_name):
        from accounts.models import User

        pipeline = pipeline_install_blueprint(code="window-installation", actor=User.objects.get())
    owner = team(tenant.schema_name)
    with schema_context(tenant.schema_name):
        started = time.perf_counter()
        deals = bulk_deals(pipeline, owner, args.deals)
        print(f"seeded {len(deals)} deals in {time.perf_counter() - started:.1f} s")
        stages = {s.key: s for s in version_published_latest(pipeline).stages.all()}
        sample = deals[: args.moves]
        timings, queries = {"assign-measurer": [], "schedule-measurement": []}, {"assign-measurer": [], "schedule-measurement": []}
        counter = [0]

        def count(execute, sql, params, many, context):
            counter[0] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            for deal in sample:
                for key in ("assign-measurer", "schedule-measurement"):
                    before = counter[0]
                    t0 = time.perf_counter()
                    deal_move(deal=deal, to_stage=stages[key], actor=owner)
                    timings[key].append(time.perf_counter() - t0)
                    queries[key].append(counter[0] - before)
    everything = timings["assign-measurer"] + timings["schedule-measurement"]
    print(f"tenant: {args.deals} deals, 20 role holders; moves timed: {len(everything)}")
    rows = [("all moves", everything, queries["assign-measurer"] + queries["schedule-measurement"])]
    rows += [
        ("-> assign-measurer (keep responsible)", timings["assign-measurer"], queries["assign-measurer"]),
        ("-> schedule-measurement (least-loaded + task)", timings["schedule-measurement"], queries["schedule-measurement"]),
    ]
    for label, values, counts in rows:
        print(
            f"{label:<46} p50 {statistics.median(values) * 1000:5.1f} ms  p95 {percentile(values, 0.95) * 1000:5.1f} ms  "
            f"max {max(values) * 1000:5.1f} ms  queries {statistics.median(counts):.0f}"
        )
    if not args.keep:
        tenant_delete(tenant=tenant)


if __name__ == "__main__":
    main()
