"""A mutation check anyone can rerun: ``python -m tests.mutate`` (``--list``, ``-k NAME``).

Each mutation below changes one verdict-critical line of the package the way a plausible bug
would (a flipped comparison, a dropped check, a wrong default). The script copies the package,
the tests and the project files to a temporary directory once, then for each mutation applies it
to the copy, runs the named test files there (``pytest -x``, with the copy first on
``PYTHONPATH`` so subprocess tests run the mutated code too), restores the file, and reports
whether a test failed (killed) or none did (survived). It exits 1 if any mutation survived or
if a mutation no longer applies (its ``old`` text must occur exactly once: keep the list true
to the code when you change it).

Not part of ``pytest``: it runs the test files once per mutation (several minutes). The list
is the review's 26 mutations still meaningful today (issue 17, review.md Part B section 3) plus
one per defect the review found, so each fixed class stays fixed.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = "optout_middleware"


@dataclass(frozen=True, slots=True)
class Mutation:
    """Replace ``old`` (exactly once) by ``new`` in ``path``, and each further pair of
    ``also``; ``tests`` should notice."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    also: tuple[tuple[str, str], ...] = ()


def _m(
    name: str, path: str, old: str, new: str, *tests: str, also: tuple[tuple[str, str], ...] = ()
) -> Mutation:
    return Mutation(name, f"{PKG}/{path}", old, new, tuple(f"tests/{t}" for t in tests), also)


MUTATIONS: tuple[Mutation, ...] = (
    # verdict.combine (review M1a-c)
    _m("combine-precedence-flipped", "verdict.py",
       "ev.precedence > current[0]", "ev.precedence < current[0]", "test_verdict.py"),
    _m("combine-decided-by-last", "verdict.py",
       "min(reserving, key=_first)", "max(reserving, key=_first)", "test_verdict.py"),
    _m("combine-last-evidence-wins", "verdict.py",
       "                if current[1] is None:\n                    best[key]",
       "                if True:\n                    best[key]", "test_verdict.py"),
    # TDMRep precedence (M2, M2b)
    _m("tdmrep-no-precedence", "signals/tdmrep.py",
       '"header": (1, "tdm-reservation"', '"header": (0, "tdm-reservation"', "test_tdmrep.py"),
    _m("tdmrep-meta-ties-header", "signals/tdmrep.py",
       '"meta": (2, \'meta name', '"meta": (1, \'meta name', "test_tdmrep.py"),
    # robots.txt matching (M3-like): Disallow first on equal length
    _m("robots-disallow-wins-ties", "formats/robotsrules.py",
       "-r.pattern.length, not r.allow, r.line)", "-r.pattern.length, r.allow, r.line)",
       "test_robotstxt.py"),
    # audit flushing (M4)
    _m("audit-not-line-buffered", "middlewares/audit.py",
       'path.open("a", encoding="utf-8", buffering=1)', 'path.open("a", encoding="utf-8")',
       "test_middleware_audit.py"),
    # memo keys (M5, M11, F3)
    _m("robotsmeta-memo-ignores-image", "signals/robotsmeta.py",
       "image = response.is_image if _SAYS_IMAGE(value) else None",
       "image = False if _SAYS_IMAGE(value) else None",
       "test_robotsmeta.py", "test_robotsmeta_memo.py"),
    _m("robotsmeta-memo-does-not-hold-context", "signals/robotsmeta.py",
       "self._read.put(key, (context, read))", "self._read.put(key, (None, read))",
       "test_review_properties.py",
       also=(("entry is not None and entry[0] is context", "entry is not None"),)),
    _m("contentsignal-memo-ignores-context", "signals/contentsignal.py",
       "key = (id(parsed), id(context), robots.url)", "key = (id(parsed), 0, robots.url)",
       "test_contentsignal.py", "test_review_properties.py"),
    # settings and wiring (M6, M7, M8, M13, M26)
    _m("retry-default-60", "middlewares/config.py",
       '"OPTOUT_UNREACHABLE_RETRY_SECS": 600,', '"OPTOUT_UNREACHABLE_RETRY_SECS": 60,',
       "test_middleware_config.py", "test_review_wiring.py"),
    _m("obey-ignores-fail-open", "sitepolicy/permission.py",
       "if robots.state is FileState.UNREACHABLE and fail_closed:",
       "if robots.state is FileState.UNREACHABLE:",
       "test_middleware_sitefiles.py", "test_review_wiring.py"),
    _m("custom-parser-does-not-replace", "middlewares/parsers.py",
       "builtin = [s for s in builtin_signals(config.signal_families) if s.family not in "
       "replaced]", "builtin = list(builtin_signals(config.signal_families))",
       "test_plugin.py", "test_middleware_config.py", "test_review_wiring.py"),
    _m("fallback-not-decided", "middlewares/downloader.py",
       "        if site_evidence is None:  # not seen by process_request: an earlier middleware"
       " answered\n",
       "        if site_evidence is None:  # not seen by process_request: an earlier middleware"
       " answered\n            return response\n",
       "test_middleware_responses.py", "test_review_wiring.py"),
    _m("cache-size-ignored", "middlewares/redis_cache.py",
       "LruPolicyCache(config.cache_size,", "LruPolicyCache(10_000,",
       "test_middleware_sitefiles.py", "test_review_wiring.py"),
    # robots.txt AI groups and ai.txt (M9, M10, F6)
    _m("robots-txt-not-exempt", "signals/robotsai.py",
       'if inner == "/robots.txt" or inner.startswith("/robots.txt?"):', "if False:",
       "test_robotsai.py", "test_review_wiring.py"),
    _m("aitxt-disallow-wins-ties-by-default", "signals/aitxt.py",
       "def __init__(self, *, allow_wins_ties: bool = True)",
       "def __init__(self, *, allow_wins_ties: bool = False)",
       "test_aitxt.py", "test_review_wiring.py"),
    _m("ai-group-allow-is-a-permission", "signals/robotsai.py",
       "stances=() if rule.allow else disallows(self.purpose),",
       "stances=allows(self.purpose) if rule.allow else disallows(self.purpose),",
       "test_robotsai.py"),
    # site-file fetching (M12, M17, M18, M23)
    _m("retry-due-ignored", "middlewares/fetch.py",
       "not retry_due(", "not (lambda *a, **k: False)(",
       "test_faults.py"),
    _m("lru-evicts-newest", "sitepolicy/cache.py",
       "self._entries.popitem(last=False)", "self._entries.popitem(last=True)",
       "test_sitepolicy.py"),
    _m("robots-429-absent", "sitepolicy/rules.py",
       'status == _TOO_MANY_REQUESTS and kind == "robots"', "False", "test_sitepolicy.py"),
    _m("inflight-not-shared", "middlewares/fetch.py",
       "waiting = self._waiting.get(origin)", "waiting = None", "test_middleware_sitefiles.py"),
    # spider middleware and stats (M15, M16)
    _m("drop-mode-drops-unreserved", "middlewares/spider.py",
       'if verdict.get("reserved"):', 'if verdict.get("reserved") is not None:',
       "test_middleware_responses.py", "test_review_wiring.py"),
    _m("stats-never-flush-on-batch", "middlewares/stats.py",
       "        pending[key] = pending.get(key, 0) + count\n        self._left -= 1\n"
       "        if not self._left:\n            self.flush()",
       "        pending[key] = pending.get(key, 0) + count",
       "test_middleware_stats.py"),
    _m("stats-decisions-never-flush-on-batch", "middlewares/stats.py",
       "        sets[keys] = sets.get(keys, 0) + 1\n        self._left -= 1\n"
       "        if not self._left:\n            self.flush()",
       "        sets[keys] = sets.get(keys, 0) + 1",
       "test_middleware_stats.py"),
    # signal readings (M19, M21, F8)
    _m("aipref-on-disallowed-paths", "signals/aipref.py",
       "if not records or parsed is None or not parsed.allowed(url, context.user_agent):",
       "if not records or parsed is None:", "test_aipref.py"),
    _m("aitxt-keeps-query", "formats/aitxt.py",
       'path_lower = target.partition("?")[0].lower()', "path_lower = target.lower()",
       "test_aitxt.py"),
    _m("contentsignal-no-lenient-no", "signals/contentsignal.py",
       "if found_sep and key in KEYS and val in NO_VALUES:", "if False:",
       "test_review_properties.py"),
    # the review's defects (F1, F2, F4, F5, F9, <template>)
    _m("head-window-cut-anywhere", "formats/htmlhead.py",
       "window = _between_tags(buf, window, nominal, limit)", "window = nominal",
       "test_review_properties.py"),
    _m("xrobots-only-first-scope", "signals/robotsmeta.py",
       "if colon and _is_scope(before, context):\n            segments",
       "if colon and not segments and _is_scope(before, context):\n            segments",
       "test_review_properties.py"),
    _m("product-token-drops-digits", "agents.py",
       'r"[A-Za-z0-9._-]+"', 'r"[A-Za-z_-]+"', "test_middleware_config.py"),
    _m("aipref-rules-parsed-per-url", "signals/aipref.py",
       "if entry is not None and entry[0] is parsed and entry[1] is context:", "if False:",
       "test_review_properties.py"),
    _m("http-utf16-on-ascii-believed", "formats/htmlhead.py",
       "        codec = None  # an HTTP UTF-16 label", "        pass  # an HTTP UTF-16 label",
       "test_review_properties.py"),
    _m("template-metas-read", "formats/htmlhead.py",
       'if templated and tag != "body" and _in_template(el):', "if False:",
       "test_review_properties.py"),
    # written without looking for a test first: the rule, then whatever tests its module has
    _m("verdict-child-no-does-not-reserve-parent", "verdict.py",
       "| {q for q in Purpose if p in _lineage(q)}", "", "test_verdict.py"),
    _m("contentsignal-yes-beats-no", "signals/contentsignal.py",
       "if old is Stance.DISALLOWED or new is None:", "if new is None:",
       "test_contentsignal.py"),
    _m("tdmrep-disagreement-allows", "signals/tdmrep.py",
       'return (1 if "1" in valid else 0)', 'return (0 if "0" in valid else 1)', "test_tdmrep.py"),
    _m("noimageai-reserves-pages", "signals/robotsmeta.py",
       "if directive in _ON_A_PAGE and not response.is_image:", "if False:",
       "test_robotsmeta.py"),
    _m("agent-names-case-sensitive", "formats/robotsgroups.py",
       'return " ".join(name.lower().split())', 'return " ".join(name.split())',
       "test_robotstxt.py"),
    _m("aipref-legacy-yes-honoured", "signals/aiprefvocab.py",
       "            if stance is Stance.ALLOWED:\n", "            if False:\n", "test_aipref.py"),
    _m("meta-utf16-declaration-believed", "formats/headcodec.py",
       'return "utf-8"  # HTML: a UTF-16 declaration', 'return codec  # HTML: a UTF-16 declaration',
       "test_htmlhead.py"),
    # a redirect's new request must not be decided by its source's site verdict
    _m("redirect-keeps-source-verdict", "middlewares/downloader.py",
       "        meta.pop(SITE_EVIDENCE_KEY, None)\n", "", "test_middleware_responses.py"),
    # a site-wide image lists its first pages only (its evidence must not grow with the site)
    _m("embedded-pages-unbounded", "middlewares/embedded.py",
       "        if len(listed) + len(grown) < PAGES_LISTED:\n", "        if True:\n",
       "test_embedded_map.py"),
    # links yielded from reserving pages must not push presented images out of the map
    _m("embedded-yielded-share-the-map", "middlewares/embedded.py",
       "        self._enter(self._yielded, request.url, last[1])\n",
       "        self._enter(self._presented, request.url, last[1])\n", "test_embedded_map.py"),
    # requests a reserving page yields carry its directives (an image it links, not presents)
    _m("spider-yielded-requests-not-carried", "middlewares/spider.py",
       "                if carrier is not None:\n                    carrier(o)\n", "",
       "test_images_crawl.py"),
    # a group index's bucket spans every rule of its key (not only the last one entered)
    _m("robots-bucket-keeps-last-rule", "formats/robotsrules.py",
       "            start = self._buckets.get(key, (index, index))[0]\n",
       "            start = index\n", "test_robotstxt.py"),
    # robots.txt files with the same rule text share one compiled pattern
    _m("robots-patterns-not-shared", "formats/robotsrules.py",
       "        pattern = _SHARED_PATTERNS.get(text)\n", "        pattern = None\n",
       "test_robotstxt.py"),
    # verdicts kept by a crawl share their combine-state keys
    _m("verdict-fold-keys-per-verdict", "verdict.py",
       "            key = _FOLD_KEYS.get(key) or _interned(key)\n", "", "test_verdict.py"),
    # the maps hold atoms (the collector skips them), not directive objects
    _m("embedded-map-holds-objects", "middlewares/embedded.py",
       "    return (more, (*listed, *grown)) if grown else (more, listed)\n",
       "    return (more, [*listed, *grown]) if grown else (more, listed)  # type: ignore\n",
       "test_embedded_map.py"),
    # the origin memo's key must hold all of scheme://authority
    _m("origin-memo-key-short", "sitepolicy/origin.py",
       '"/".join(url.split("/", 3)[:3])', '"/".join(url.split("/", 3)[:2])',
       "test_sitepolicy.py"),
    # the head read for the families' interest (issue 13): exact, and never narrower than asked
    _m("head-interest-without-agent-names", "signals/robotsmeta.py",
       'HeadInterest(frozenset({"robots"}) | context.agent_names)',
       'HeadInterest(frozenset({"robots"}))', "test_head_interest.py"),
    _m("head-interest-unstated-ignored", "evaluate.py",
       "        if wanted is None:\n            return None\n",
       "        if wanted is None:\n            continue\n", "test_head_interest.py"),
    _m("head-interest-link-rels-ignored", "formats/htmlhead.py",
       "rel_tokens is not None and rels.isdisjoint(rel_tokens)",
       "rel_tokens is not None and not rels.isdisjoint(rel_tokens)", "test_head_interest.py"),
)  # fmt: skip


def _copy_project(dest: Path) -> None:
    for name in (PKG, "tests", "bench", "example_spider"):
        if (ROOT / name).exists():
            shutil.copytree(
                ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
            )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, dest / name)


def _run(mutation: Mutation, work: Path, timeout: float) -> tuple[str, float]:
    target = work / mutation.path
    original = target.read_text(encoding="utf-8")
    mutated = original
    for old, new in ((mutation.old, mutation.new), *mutation.also):
        count = mutated.count(old)
        if count != 1:
            return f"STALE ({old[:30]!r} found {count} times)", 0.0
        mutated = mutated.replace(old, new)
    target.write_text(mutated, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(work), "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider"]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [*command, *mutation.tests],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        # 1: a test failed. Anything else (2: collection error, e.g. a mutation that does not
        # compile; 5: no tests) says nothing about the tests, so it is not a kill.
        codes = {0: "SURVIVED", 1: "killed"}
        outcome = codes.get(proc.returncode, f"ERROR (pytest exit {proc.returncode})")
    except subprocess.TimeoutExpired:
        outcome = "killed (timeout)"
    finally:
        target.write_text(original, encoding="utf-8")
    return outcome, time.monotonic() - started


def _check_copy_is_imported(work: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(work)}
    found = subprocess.run(
        [sys.executable, "-c", f"import {PKG}; print({PKG}.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).is_relative_to(work):
        raise SystemExit(f"the copy is not the package imported ({found}); cannot mutate it")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutate", description=__doc__)
    parser.add_argument("-k", dest="names", action="append", default=[], help="only these")
    parser.add_argument("--list", action="store_true", help="list the mutations and exit")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per mutation")
    args = parser.parse_args(argv)
    chosen = [m for m in MUTATIONS if not args.names or any(n in m.name for n in args.names)]
    if args.list:
        for m in chosen:
            print(f"{m.name:40} {m.path}  [{' '.join(m.tests)}]")
        return 0
    bad = 0
    with tempfile.TemporaryDirectory(prefix="optout-mutate-") as tmp:
        work = Path(tmp)
        _copy_project(work)
        _check_copy_is_imported(work)
        for i, mutation in enumerate(chosen, 1):
            outcome, secs = _run(mutation, work, args.timeout)
            bad += not outcome.startswith("killed")
            print(f"[{i:2}/{len(chosen)}] {outcome:16} {secs:6.1f}s  {mutation.name}", flush=True)
    killed = len(chosen) - bad
    print(f"mutation score: {killed}/{len(chosen)} killed")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
