"""The benchmark report: Markdown tables of every part, and the targets marked PASS or MISS."""

from __future__ import annotations

from typing import Any

from bench.timing import fmt_us

__all__ = ["HEADINGS", "render"]

HEADINGS = ("## 1. Crawl overhead", "## 2. Parsers", "## 3. Memory", "## Targets")
_PEER_NAMES = {
    "optout": "optout_middleware",
    "protego": "protego",
    "repp": "robotexclusionrulesparser",
}
_FILE_NAMES = {
    "robots": "robots.txt",
    "tdmrep": "tdmrep.json",
    "aitxt": "ai.txt",
    "rsl": "RSL document (robots.txt License:)",
}
_RATIO_TARGET = 0.95
_FLAT_FACTOR = 1.5  # extract_head on 1 MB may cost at most this many times its 10 KB cost


def _table(headers: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines)


def _mmm(values: list[float] | tuple[float, ...], fmt: str = "{:,.0f}") -> str:
    median, low, high = values
    return f"{fmt.format(median)} ({fmt.format(low)}-{fmt.format(high)})"


def _crawl(crawl: dict[str, Any], targets: list[dict[str, str]], which: str = "") -> list[str]:
    parser_note = (
        "reads each page's title and links" if crawl["spider_parses"] else "parses nothing"
    )
    if crawl.get("spider_follows"):
        parser_note += " and yields a request for every link (the dupefilter drops those seen)"
    intro = (
        f"{crawl['origins']} origins (127.0.0.2 and up, one download slot each), "
        f"{crawl['start_urls']:,} start URLs, CONCURRENT_REQUESTS={crawl['concurrency']}, "
        f"{crawl['pairs']} alternated pair(s) of fresh crawler processes (A B, B A, ...); "
        f"the site is served by a separate process. The spider {parser_note}. "
        "(b) uses OPTOUT_ACTION='tag': reserved pages are still downloaded, evaluated and "
        "yielded, so both crawls process the same pages (with 'drop', (b) would skip reserved "
        "pages and look cheaper than it is). Figures are median (min-max). pages/s is "
        "wall-clock and suffers from other load on the machine; crawler CPU per page does not."
    )
    out = [intro, ""]
    rows = []
    labels = {"scrapy": "(a) Scrapy RobotsTxtMiddleware", "optout": "(b) optout add-on, tag"}
    if crawl.get("baseline_tree"):
        labels["baseline"] = f"(c) optout add-on, tag, baseline `{crawl['baseline_tree']}`"
    for mode, label in labels.items():
        m = crawl[mode]
        files = [
            f"{m['site_file_max'][kind]} ({m['site_file_total'][kind]})" for kind in _FILE_NAMES
        ]
        rows.append(
            [
                label,
                "/".join(f"{p:,}" for p in m["pages"]),
                _mmm(m["pages_per_sec"]),
                _mmm(m["cpu_us_per_page"]),
                _mmm(m["cpu_busy"], "{:.0%}"),
                *files,
                f"{m['server_cpu_share']:.0%}",
            ]
        )
    rows.append(
        [
            "ratio b/a",
            "",
            _mmm(crawl["ratio"], "{:.3f}"),
            _mmm(crawl["cpu_ratio"], "{:.3f}") + " (a/b)",
            *([""] * (len(_FILE_NAMES) + 2)),
        ]
    )
    if crawl.get("baseline_tree"):
        rows.append(
            [
                "ratio c/a (baseline)",
                "",
                _mmm(crawl["baseline_ratio"], "{:.3f}"),
                _mmm(crawl["baseline_cpu_ratio"], "{:.3f}") + " (a/c)",
                *([""] * (len(_FILE_NAMES) + 2)),
            ]
        )
    headers = [
        "crawl",
        "pages",
        "pages/s",
        "crawler CPU µs/page",
        "crawler CPU busy",
        *(f"{name} requests: max per origin (all)" for name in _FILE_NAMES.values()),
        "server CPU (max)",
    ]
    out.append(_table(headers, rows))
    a, b = crawl["scrapy"], crawl["optout"]
    base = a["cpu_us_per_page"][0]
    delta = b["cpu_us_per_page"][0] - base
    out += [
        "",
        f"Added crawler CPU per page (median b - median a): {delta:,.0f} µs, "
        + f"{delta / base:.1%} of Scrapy's own {base:,.0f} µs.",
    ]
    if "gc_us_per_page" in a and "gc_us_per_page" in b:
        gc_a, gc_b = a["gc_us_per_page"][0], b["gc_us_per_page"][0]
        out += [
            "",
            f"Of the CPU per page, Python's garbage collector (gc.callbacks): (a) {gc_a:,.0f} µs, "
            + f"(b) {gc_b:,.0f} µs: {gc_b - gc_a:,.0f} µs of the added cost.",
        ]
        if crawl.get("baseline_tree"):
            out[-1] += f" (c) {crawl['baseline']['gc_us_per_page'][0]:,.0f} µs."
    if crawl.get("profile"):
        out += ["", *_profile(crawl["profile"])]
    ratio = crawl["ratio"][0]
    targets.append(
        {
            "target": f"crawl{which} pages/s ratio b/a >= {_RATIO_TARGET} (median of pairs)",
            "measured": f"{ratio:.3f} (min {crawl['ratio'][1]:.3f})",
            "result": "PASS" if ratio >= _RATIO_TARGET else "MISS",
        }
    )
    cpu_ratio = crawl["cpu_ratio"][0]
    targets.append(
        {
            "target": f"same{which}, from crawler CPU per page (a/b) >= {_RATIO_TARGET}",
            "measured": f"{cpu_ratio:.3f} (min {crawl['cpu_ratio'][1]:.3f})",
            "result": "PASS" if cpu_ratio >= _RATIO_TARGET else "MISS",
        }
    )
    worst = {name: b["site_file_max"][kind] for kind, name in _FILE_NAMES.items()}
    targets.append(
        {
            "target": f"<= 1 request per site file per origin (server counts){which}",
            "measured": ", ".join(f"{k} {v}" for k, v in worst.items()),
            "result": "PASS" if max(worst.values()) <= 1 else "MISS",
        }
    )
    same = a["pages"] == b["pages"] and len(a["pages"]) == 1
    targets.append(
        {
            "target": f"both crawls process the same pages{which}",
            "measured": f"{a['pages']} vs {b['pages']}",
            "result": "PASS" if same else "MISS",
        }
    )
    return out


def _profile(profile: dict[str, Any]) -> list[str]:
    ours, theirs = profile["optout"], profile["scrapy"]
    out = [
        "### Where (b)'s time goes: cProfile of one more crawl per mode (µs per page, inflated)",
        "",
        f"Profiled crawler total: (a) {theirs['total_us_per_page']:,.0f} µs/page, "
        + f"(b) {ours['total_us_per_page']:,.0f} µs/page. optout_middleware functions of (b), "
        + "by cumulative time (nested: rows include their callees):",
        "",
    ]
    rows = [
        [
            f"`{row['function']}`",
            f"{row['calls_per_page']:.1f}",
            f"{row['cum_us_per_page']:,.1f}",
            f"{row['own_us_per_page']:,.1f}",
        ]
        for row in ours["functions"]
    ]
    out.append(_table(["function", "calls/page", "cumulative µs/page", "own µs/page"], rows))
    return out


def _robots(rows: list[dict[str, Any]], targets: list[dict[str, str]]) -> list[str]:
    out = ["### robots.txt: parse and query (µs, best of repeats)", ""]
    table = []
    slower: list[str] = []
    by_file: dict[str, dict[str, dict[str, Any]]] = {}
    for row in rows:
        by_file.setdefault(row["file"], {})[row["peer"]] = row
        queries = []
        for agent in ("ExampleBot", "GPTBot"):
            note = f" (sampled {row[f'sampled/{agent}']:,})" if row[f"sampled/{agent}"] else ""
            queries.append(fmt_us(row[f"query_us/{agent}"] / 1e6) + note)
        differ = " / ".join(
            f"{row[f'differ_pct/{agent}']:.1f} %" for agent in ("ExampleBot", "GPTBot")
        )
        table.append(
            [
                f"{row['file']} ({row['bytes']:,} B, {row['rules']:,} rules, "
                + f"{row['wildcard_rules']:,} with * or $)",
                _PEER_NAMES[row["peer"]],
                fmt_us(row["parse_us"] / 1e6),
                *queries,
                "-" if row["peer"] == "protego" else differ,
            ]
        )
    headers = ["file", "parser", "parse", "query ExampleBot (*)", "query GPTBot", "≠ protego"]
    out.append(_table(headers, table))
    for name, peers in by_file.items():
        ours, protego = peers["optout"], peers["protego"]
        for key, label in (
            ("parse_us", "parse"),
            ("query_us/ExampleBot", "query ExampleBot"),
            ("query_us/GPTBot", "query GPTBot"),
        ):
            if ours[key] > protego[key]:
                slower.append(f"{name} {label} {ours[key] / protego[key]:.2f}x")
    targets.append(
        {
            "target": "our robots.txt parse and query at least as fast as protego, every file",
            "measured": "; ".join(slower) if slower else "faster or equal everywhere",
            "result": "MISS" if slower else "PASS",
        }
    )
    return out


def _adversarial(adv: dict[str, Any]) -> list[str]:
    limit = adv["limit_secs"]
    out = [
        f"### Hostile patterns: parse + one query (ms), each in a subprocess killed at {limit:g} s",
        "",
    ]
    rows = [
        [f"`{row['case']}`"]
        + [
            f"> {limit:g} s (killed)" if row[p] is None else f"{row[p]:,.2f}"
            for p in ("optout", "protego", "repp")
        ]
        for row in adv["rows"]
    ]
    out.append(_table(["case (Disallow vs path)", *_PEER_NAMES.values()], rows))
    return out


def _head(rows: list[dict[str, Any]], targets: list[dict[str, str]]) -> list[str]:
    out = ["### `<head>` extraction (`htmlhead.extract_head`, µs, best of repeats)", ""]
    table = [
        [
            row["page"],
            f"{row['bytes']:,}",
            f"{row['head_bytes']:,}" if row["head_bytes"] else "-",
            f"{row['metas']} / {row['links']}",
            "yes" if row["truncated"] else "no",
            fmt_us(row["us"] / 1e6),
        ]
        for row in rows
    ]
    out.append(_table(["page", "bytes", "head bytes", "metas / links", "cut at cap", "µs"], table))
    small, big = rows[0]["us"], rows[2]["us"]
    targets.append(
        {
            "target": f"extract_head flat: 1 MB page <= {_FLAT_FACTOR}x the 10 KB page",
            "measured": f"{big / small:.2f}x ({fmt_us(small / 1e6)} vs {fmt_us(big / 1e6)} µs)",
            "result": "PASS" if big <= small * _FLAT_FACTOR else "MISS",
        }
    )
    return out


def _prescan(scan: dict[str, Any]) -> list[str]:
    rows = [[step, fmt_us(us / 1e6)] for step, us in scan["costs_us"].items()]
    rows.append(["the pre-scan in all (1 + 2 + 3)", fmt_us(scan["prescan_us"] / 1e6)])
    return [
        "### Ablation: a `<head>` pre-scan instead of the parse (not built; µs, same page)",
        "",
        (
            f"A {scan['head_bytes']:,} B head with inline CSS and JS and no opt-out signal: what "
            "a sound pre-scan costs before it may skip the parse. Pages with a signal pay both."
        ),
        "",
        _table(["step", "µs"], rows),
    ]


def _evaluation(
    ev: dict[str, Any], targets: list[dict[str, str]], old: dict[str, Any] | None = None
) -> list[str]:
    out = [
        "### Per-response evaluation (`Evaluator.after_download`, every built-in family, "
        + f"{ev['page_bytes']:,} B page, {ev['evidence']} evidence items; µs)",
        "",
    ]

    def row(label: str, part: str, key: str, us: float) -> list[str]:
        if old is None:
            return [label, fmt_us(us / 1e6)]
        was = old[part].get(key)
        return [label, fmt_us(us / 1e6), "-" if was is None else fmt_us(was / 1e6)]

    rows = [row(step, "costs_us", step, us) for step, us in ev["costs_us"].items()]
    rows += [
        row(f"family {fam} (both hooks, head parsed)", "family_us", fam, us)
        for fam, us in ev["family_us"].items()
    ]
    headers = ["step", "µs"] if old is None else ["step", "µs", "µs, baseline (same run)"]
    if old is not None:
        out += ["Each figure is the best of 3 interleaved rounds of both versions.", ""]
    out.append(_table(headers, rows))
    full = ev["costs_us"]["after_download (site + response signals, combine)"]
    targets.append(
        {
            "target": "after_download <= 110 µs per response",
            "measured": f"{full:.1f} µs",
            "result": "PASS" if full <= 110 else "MISS",
        }
    )
    return out


def _memory(mem: dict[str, Any], old: dict[str, Any] | None = None) -> list[str]:
    rows = [
        [
            label,
            f"{m['origins']:,}",
            f"{m['raw_kb_per_origin']:.1f}",
            f"{m['parsed_kb_per_origin']:.1f}",
            f"{m['queried_kb_per_origin']:.1f}",
            f"{m['total_mb']:.1f}",
            f"{m['peak_mb']:.1f}",
        ]
        for label, m in (("this version", mem), ("baseline", old))
        if m is not None
    ]
    headers = [
        "version",
        "origins cached",
        "site-file bytes KB/origin",
        "retained KB/origin, parsed",
        "after one evaluation",
        "total MB",
        "peak MB (tracemalloc)",
    ]
    top = [
        [f"`{t['where']}`", f"{t['kb_per_origin']:.1f}", f"{t['objects_per_origin']:.0f}"]
        for t in mem.get("top_lines", [])
    ]
    return [
        "`sitepolicy.LruPolicyCache` holding parsed robots.txt / tdmrep.json / ai.txt per origin.",
        "",
        _table(headers, rows),
        "",
        "Largest allocation sites of what the cache retains (tracemalloc, per origin):",
        "",
        _table(["line", "KB/origin", "objects/origin"], top),
    ]


def render(results: dict[str, Any]) -> tuple[str, list[dict[str, str]]]:
    """The report text and the list of targets with their result."""
    machine = results["machine"]
    v = machine["versions"]
    title = "# optout-middleware benchmark"
    if results["quick"]:
        title += " (--quick: a smoke run, not figures to quote)"
    machine_line = (
        f"Machine: {machine['nproc']} cores, {machine['cpu']}; Python {machine['python']}, "
        f"Scrapy {v['scrapy']}, Twisted {v['twisted']}, lxml {v['lxml']}, protego {v['protego']}, "
        f"robotexclusionrulesparser {v['robotexclusionrulesparser']}. "
        f"Rerun: `{results['command']}`."
    )
    out = [title, "", machine_line, ""]
    targets: list[dict[str, str]] = []
    out += [HEADINGS[0], ""]
    out += _crawl(results["crawl"], targets) if "crawl" in results else ["(not run)"]
    if "crawl_parse" in results:
        out += ["", "### The same crawl, the spider parsing (`--spider-parse`)", ""]
        out += _crawl(results["crawl_parse"], targets, " (spider parses)")
    if "crawl_follow" in results:
        out += ["", "### The same crawl, the spider following links (`--follow-row`)", ""]
        out += _crawl(results["crawl_follow"], targets, " (spider follows links)")
    out += ["", HEADINGS[1], ""]
    if "robots" in results:
        out += _robots(results["robots"], targets)
        out += ["", *_adversarial(results["adversarial"])]
        out += ["", *_head(results["head"], targets)]
        if "head_prescan" in results:
            out += ["", *_prescan(results["head_prescan"])]
        out += [
            "",
            *_evaluation(results["evaluation"], targets, results.get("evaluation_baseline")),
        ]
    else:
        out.append("(not run)")
    out += ["", HEADINGS[2], ""]
    if "memory" in results:
        out += _memory(results["memory"], results.get("memory_baseline"))
    else:
        out.append("(not run)")
    if "images" in results:
        from bench.images import render_images  # noqa: PLC0415

        out += ["", "## 4. Image metadata", "", *render_images(results["images"], targets)]
    out += ["", HEADINGS[3], ""]
    out.append(
        _table(
            ["target", "measured", "result"],
            [[t["target"], t["measured"], t["result"]] for t in targets],
        )
    )
    out.append(f"\n(ran in {results['elapsed_secs']:.0f} s)")
    return "\n".join(out), targets
