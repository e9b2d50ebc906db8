"""The example project as one worker of a scrapy-redis cluster (README "Running on a cluster").

Run each worker with ``SCRAPY_SETTINGS_MODULE=example_spider.cluster_settings``; every worker
shares one request queue and dupefilter (scrapy-redis) and the opt-out policy cache (this
library) in the Redis at ``$REDIS_URL`` (default ``redis://127.0.0.1:6379/0``).
"""

from __future__ import annotations

import os

from example_spider.settings import *  # the single-process settings, then these

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# scrapy-redis: one shared queue and dupefilter. Both settings are needed together, and
# SCHEDULER_PERSIST=True, or the first worker to finish wipes the others' queue.
SCHEDULER = "scrapy_redis.scheduler.Scheduler"
DUPEFILTER_CLASS = "scrapy_redis.dupefilter.RFPDupeFilter"
SCHEDULER_PERSIST = True

# optout-middleware: the site files of each origin are fetched by one worker for the cluster.
OPTOUT_REDIS_URL = REDIS_URL
# One audit file per worker (the worker id is OPTOUT_WORKER_ID, by default hostname:pid);
# merge them with `LC_ALL=C sort -m output/optout-audit-*.jsonl`.
OPTOUT_AUDIT_FILE = "output/optout-audit-%(worker)s.jsonl"
FEEDS = {  # "worker" is a spider attribute (the same id)
    "output/items-%(worker)s.jsonl": {"format": "jsonlines", "encoding": "utf-8", "overwrite": True}
}
