"""The post-show report as one self-contained HTML page: the figures of :mod:`.figures` in tables, and charts
drawn on the server by pygal as inline SVG (no script, no CDN, nothing fetched: the file opens offline and can
be mailed as is). The same figures are embedded as JSON."""

from __future__ import annotations

import html
import json
import re
import time
from typing import Any

import pygal
from pygal.style import Style

STYLE = Style(background="white", plot_background="white", foreground="#333", foreground_strong="#111",
              foreground_subtle="#999", colors=("#d9480f", "#1971c2", "#2f9e44", "#862e9c", "#e67700"),
              font_family="system-ui, sans-serif")
CHART = {"style": STYLE, "js": [], "disable_xml_declaration": True, "width": 760, "height": 300,
         "show_legend": False, "explicit_size": True}


SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


def _svg(chart: Any) -> str:
    """The chart's SVG without pygal's config script (its tooltips' script is never included: js=[])."""
    return SCRIPT.sub("", chart.render(is_unicode=True))


def _series_chart(kind: type, title: str, points: list[list[int]], x_title: str) -> str:
    chart = kind(title=title, x_title=x_title, **CHART)
    if len(points) > 40:
        chart.x_labels_major_every = max(1, len(points) // 10)
        chart.show_minor_x_labels = False
    chart.x_labels = [str(m) for m, _ in points]
    chart.add(title, [v for _, v in points])
    return _svg(chart)


def _bars(title: str, counts: dict[str, Any]) -> str:
    chart = pygal.HorizontalBar(title=title, **CHART)
    chart.x_labels = list(counts)[:15]
    chart.add(title, [float(v) for v in list(counts.values())[:15]])
    return _svg(chart)


def _table(rows: list[tuple[str, Any]]) -> str:
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows)
    return f"<table>{cells}</table>"


def _when(ts: Any) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(float(ts))) if ts else "—"


def render(report: dict[str, Any]) -> str:
    b = report["broadcast"]
    answers, orders, conv = report["answers"], report["orders"], report["conversion"]
    gmv = ", ".join(f"{v} {c}".strip() for c, v in orders["gmv"].items()) or "—"
    summary = _table([
        ("Room", b["room"]), ("Show", b["title"]), ("From", _when(b["started_ts"])), ("To", _when(b["ended_ts"])),
        ("Minutes", b["minutes"]), ("Peak viewers", report["peak_viewers"]), ("Comments", report["comments"]),
        ("Questions", report["questions"]["total"]),
        ("Answered (incl. together)", f"{answers['answered']} + {answers['aggregated']}"
         + (f" ({answers['rate']:.0%})" if answers["rate"] is not None else "")),
        ("Answer latency p50 / p95", f"{answers['latency_s']['p50']} s / {answers['latency_s']['p95']} s"),
        ("Orders / units", f"{orders['count']} / {orders['units']}"), ("GMV (net of refunds)", gmv),
        ("Askers who bought", f"{conv['askers_who_bought']} of {conv['askers']}"
         + (f" ({conv['rate']:.0%})" if conv["rate"] is not None else "")),
        ("New leads", report["leads"]["new"]),
        ("Lines blocked / rewritten by the guardrails",
         f"{report['review']['blocked_lines']} / {report['review']['rewritten_lines']}"),
    ])
    charts = []
    if report["viewers_per_minute"]:
        charts.append(_series_chart(pygal.Line, "Viewers", report["viewers_per_minute"], "minute"))
    if report["comments_per_minute"]:
        charts.append(_series_chart(pygal.Bar, "Comments per minute", report["comments_per_minute"], "minute"))
    if report["questions"]["by_intent"]:
        charts.append(_bars("Questions by intent", report["questions"]["by_intent"]))
    if report["questions"]["by_product"]:
        charts.append(_bars("Questions by product", report["questions"]["by_product"]))
    units = {sku: p["units"] for sku, p in orders["by_product"].items()}
    if units:
        charts.append(_bars("Units sold by product", units))
    sections = [f"<section class='chart'>{svg}</section>" for svg in charts]
    for title, counts in (("Dropped, and why", report["dropped"]), ("Blocked answers, and why", report["blocked"]),
                          ("Guardrail reasons", report["review"]["reasons"])):
        if counts:
            sections.append(f"<section><h2>{html.escape(title)}</h2>{_table(list(counts.items()))}</section>")
    by_product = [(sku, f"{p['units']} units, " + (", ".join(f"{v} {c}".strip() for c, v in p["gmv"].items()) or "—"))
                  for sku, p in orders["by_product"].items()]
    if by_product:
        sections.append(f"<section><h2>Orders by product</h2>{_table(by_product)}</section>")
    data = json.dumps(report, ensure_ascii=False).replace("</", "<\\/")
    title = html.escape(f"{b['title']} — {b['room']} — broadcast {b['id']}")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 820px; color: #222; }}
h1 {{ font-size: 1.4rem; }} h2 {{ font-size: 1.1rem; margin-top: 1.5rem; }}
table {{ border-collapse: collapse; width: 100%; }} th, td {{ text-align: left; padding: .25rem .5rem;
border-bottom: 1px solid #eee; }} th {{ width: 45%; font-weight: 500; color: #555; }}
.chart svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{title}</h1>
<section>{summary}</section>
{''.join(sections)}
<p><small>Generated {html.escape(_when(report['generated_ts']))} by LiveHub.</small></p>
<script type="application/json" id="report-data">{data}</script>
</body></html>
"""
