"""Settings of the example project: the opt-out add-on, a polite crawler, a quiet log.

Run ``scrapy crawl optout_demo`` from ``example_spider/``; add ``-s OPTOUT_ACTION=tag`` to keep
reserved pages and tag them instead, ``-a start_url=https://example.com/`` to crawl a real site,
``-s LOG_LEVEL=INFO`` to see Scrapy's log.
"""

from __future__ import annotations

import os

# Scrapy's cookie middleware splits domains with tldextract, which downloads the Public Suffix
# List on first use. No list URLs makes it use the snapshot bundled with tldextract, offline and
# without tracebacks; it reads this when Scrapy imports the middleware, after this module.
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

BOT_NAME = "example_spider"
SPIDER_MODULES = ["example_spider.spiders"]
NEWSPIDER_MODULE = "example_spider.spiders"

# The library: one add-on installs the middlewares (and replaces RobotsTxtMiddleware, sharing
# its robots.txt fetch).
ADDONS = {"optout_middleware.OptOutAddon": 0}
OPTOUT_PURPOSE = "train-ai"  # the use this crawl's content is for
OPTOUT_ACTION = "drop"  # "drop": reserved pages never reach the spider; "tag": items carry why
OPTOUT_AUDIT_FILE = "output/optout-audit.jsonl"  # one JSON record per URL decided

USER_AGENT = "optout-demo/0.1 (+https://github.com/optout-middleware/optout-middleware)"
ROBOTSTXT_OBEY = True

# Items of the last run, for a look at what the spider kept (and, in tag mode, the verdicts).
FEEDS = {"output/items.jsonl": {"format": "jsonlines", "encoding": "utf-8", "overwrite": True}}

# The demo site is on loopback: no need to wait. Raise DOWNLOAD_DELAY for real sites.
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_DELAY = 0
DOWNLOAD_TIMEOUT = 30
TELNETCONSOLE_ENABLED = False
# Site files are retried like pages; the demo's 503 robots.txt and 500 tdmrep.json fail on
# purpose, and the summary says what that blocked, so giving up is not logged as an error.
RETRY_GIVE_UP_LOG_LEVEL = "INFO"

# The summary is printed at the end; the log shows only what needs attention.
LOG_LEVEL = "WARNING"
