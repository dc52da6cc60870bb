# ruff: noqa: E501  (the HTML template below keeps its lines whole)
"""The HTML page of a sweep report: one self-contained file (inline CSS, embedded PNGs and a
small inline script that sorts a table by a clicked column and filters its rows; no network).

Cells show SI-scaled values with units (``6.801 mJ``); each numeric cell keeps the stored value
in ``data-v`` so that sorting uses full precision."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

import sim
from sim.report import labels

if TYPE_CHECKING:
    from sim.family import Reference, SweepData
    from sim.report.sweep_figures import FigureFile
    from sim.sweep.store import Row

HEADLINE = ("cycles", "seconds", "energy_pj", "area_mm2", "gops", "gops_per_w")

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>{{ name }}: sweep report</title>
<style>
body { font-family: sans-serif; margin: 1.5em auto; max-width: 1400px; color: #222;
       padding: 0 1em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.25em; margin-top: 1.6em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 0.82em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: right; white-space: nowrap; }
th { background: #f3f3f3; position: sticky; top: 0; }
td.t, th.t { text-align: left; }
tr.front td { background: #fff3f0; }
tr.failed td { background: #f6f6f6; color: #888; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.85em; color: #555; }
.scroll { max-height: 32em; overflow: auto; }
table.sortable thead th { cursor: pointer; user-select: none; }
th[aria-sort=ascending]::after { content: " \\25B2"; } th[aria-sort=descending]::after { content: " \\25BC"; }
input.filter { margin: 0.3em 0; padding: 2px 6px; width: 24em; }
code { font-size: 0.95em; } .note { color: #a40; }
dl { display: grid; grid-template-columns: max-content auto; gap: 2px 1em; font-size: 0.9em; }
dt { font-weight: bold; } dd { margin: 0; }
</style>
</head>
<body>
<h1>{{ name }}: sweep report</h1>
<p>{{ counts.get('ok', 0) }} points ok, {{ counts.get('failed', 0) }} failed,
{{ counts.get('pending', 0) }} pending, of {{ total }};
{{ feasible }} feasible; {{ front|length }} on the Pareto front of
{% for m, how in objectives.items() %}<code>{{ m }}</code> ({{ how }}){{ ", " if not loop.last }}{% endfor %}.
{% if constraints %}Constraints: {% for c in constraints %}<code>{{ c }}</code>{{ ", " if not loop.last }}{% endfor %}.{% endif %}</p>
{% for n in notes %}<p class="note">{{ n }}</p>{% endfor %}

<h2>Provenance</h2>
<dl>
<dt>tool</dt><dd>sim {{ meta.tool_version }} (report by sim {{ version }}), Python {{ meta.python }}</dd>
<dt>sweep file</dt><dd><code>{{ meta.sweep_file }}</code> (sha256 {{ meta.sweep_file_hash }})</dd>
<dt>base workload</dt><dd><code>{{ meta.base }}</code> (resolved config hash {{ meta.base_hash }})</dd>
<dt>tech tables</dt><dd>content hash {{ meta.tables_hash }} (part of every config hash)</dd>
<dt>sampler</dt><dd>{{ meta.sampler }}{% if meta.n %}, n = {{ meta.n }}{% endif %}, seed {{ meta.seed }}</dd>
<dt>varied</dt><dd>{% for v in vary %}<code>{{ v }}</code>{{ ", " if not loop.last }}{% endfor %}</dd>
<dt>run</dt><dd>{{ meta.updated }}; page generated {{ generated }}</dd>
<dt>per number</dt><dd>every row below carries its <b>config hash</b> (hash of the full resolved
workload, tool version and tech tables; the key in <code>results.sqlite</code>), its <b>arch hash</b>,
<b>trace hash</b> and the <b>tool version</b> that computed it.</dd>
</dl>

{% if refs %}
<h2>Published reference numbers</h2>
<table>
<tr><th class="t">family</th><th class="t">what</th><th class="t">metric</th><th>published</th>
<th>simulated</th><th>deviation</th><th class="t">unit</th><th class="t">source</th><th class="t">note</th></tr>
{% for family, r in refs %}
<tr><td class="t">{{ family }}</td><td class="t">{{ r.label }}</td><td class="t">{{ r.metric }}</td>
<td>{{ fmt(r.published) }}</td><td>{{ fmt(r.simulated) if r.simulated is not none else "not simulated" }}</td>
<td>{{ "%+.1f%%"|format(100 * r.deviation) if r.deviation is not none else "" }}</td>
<td class="t">{{ r.unit }}</td><td class="t">{{ r.source }}</td><td class="t">{{ r.note }}</td></tr>
{% endfor %}
</table>
{% endif %}

<h2>Figures</h2>
{% for f in figures %}
<figure><img src="{{ f.data_uri() }}" alt="{{ f.title }}">
<figcaption>{{ f.title }} (<a href="figures/{{ f.svg.name }}">SVG</a>,
<a href="figures/{{ f.png.name }}">PNG</a>)</figcaption></figure>
{% endfor %}

<h2>Pareto front</h2>
<p>Click a column heading to sort; type in the box to keep the rows that contain every word.</p>
<input class="filter" id="front-filter" type="search" placeholder="filter the front, e.g. WS 16" aria-label="filter the Pareto front">
<div class="scroll"><table class="sortable" id="front">
<thead><tr><th>#</th>{% for p in vary %}<th>{{ p }}</th>{% endfor %}
{% for m in columns %}<th title="{{ m }}">{{ m }}</th>{% endfor %}
<th class="t">config hash</th><th class="t">arch hash</th><th class="t">trace hash</th><th class="t">tool</th></tr></thead>
<tbody>
{% for r in front %}
<tr class="front"><td>{{ r.idx }}</td>{% for p in vary %}<td{{ dv(r.params.get(p)) }}>{{ fmt(r.params.get(p)) }}</td>{% endfor %}
{% for m in columns %}<td{{ dv(r.metrics.get(m)) }}>{{ mtext(m, r.metrics.get(m)) }}</td>{% endfor %}
<td class="t"><code>{{ r.key }}</code></td><td class="t"><code>{{ r.arch_hash }}</code></td>
<td class="t"><code>{{ r.trace_hash }}</code></td><td class="t">{{ r.tool_version }}</td></tr>
{% endfor %}
</tbody></table></div>

<h2>All design points</h2>
<p>{% if rows|length > max_rows %}The first {{ max_rows }} of {{ rows|length }} points;
{% endif %}every point is in <a href="results.csv">results.csv</a> and <code>results.sqlite</code>.</p>
<input class="filter" id="points-filter" type="search" placeholder="filter, e.g. infeasible, failed, OS" aria-label="filter the design points">
<div class="scroll"><table class="sortable" id="points">
<thead><tr><th>#</th><th class="t">status</th><th>rank</th>{% for p in vary %}<th>{{ p }}</th>{% endfor %}
{% for m in columns %}<th title="{{ m }}">{{ m }}</th>{% endfor %}
<th class="t">config hash</th><th class="t">arch hash</th><th class="t">trace hash</th><th>eval s</th></tr></thead>
<tbody>
{% for r in rows[:max_rows] %}
<tr class="{{ 'front' if rank.get(r.key) == 1 else ('failed' if r.status != 'ok' else '') }}">
<td>{{ r.idx }}</td><td class="t">{{ r.status }}{% if r.status == 'ok' and not feasible_keys.get(r.key) %} (infeasible){% endif %}</td>
<td>{{ rank.get(r.key) or "" }}</td>
{% for p in vary %}<td{{ dv(r.params.get(p)) }}>{{ fmt(r.params.get(p)) }}</td>{% endfor %}
{% for m in columns %}<td{{ dv(r.metrics.get(m)) }}>{{ mtext(m, r.metrics.get(m)) }}</td>{% endfor %}
<td class="t"><code>{{ r.key }}</code></td><td class="t"><code>{{ r.arch_hash }}</code></td>
<td class="t"><code>{{ r.trace_hash }}</code></td><td>{{ "%.3f"|format(r.seconds) if r.seconds is not none else "" }}</td></tr>
{% endfor %}
</tbody></table></div>

{% if failed %}
<h2>Failed points</h2>
<p>Retry them with <code>sim sweep FILE --retry-failed</code>.</p>
<div class="scroll"><table>
<tr><th>#</th>{% for p in vary %}<th>{{ p }}</th>{% endfor %}<th class="t">error</th><th>attempts</th></tr>
{% for r in failed %}
<tr><td>{{ r.idx }}</td>{% for p in vary %}<td>{{ fmt(r.params.get(p)) }}</td>{% endfor %}
<td class="t">{{ r.error }}</td><td>{{ r.attempts }}</td></tr>
{% endfor %}
</table></div>
{% endif %}
<script>
(function () {
  function key(cell) {
    var v = cell.getAttribute("data-v");
    if (v === null) { v = cell.textContent.trim(); }
    var n = Number(v);
    return (v !== "" && !isNaN(n)) ? [0, n] : [1, v.toLowerCase()];
  }
  function compare(a, b) {
    if (a[0] !== b[0]) { return a[0] - b[0]; }
    return a[1] < b[1] ? -1 : (a[1] > b[1] ? 1 : 0);
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.addEventListener("click", function () {
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (r, s) {
          var c = compare(key(r.cells[col]), key(s.cells[col]));
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
    var box = document.getElementById(table.id + "-filter");
    if (box) {
      box.addEventListener("input", function () {
        var words = box.value.toLowerCase().split(/\\s+/).filter(Boolean);
        Array.prototype.forEach.call(body.rows, function (r) {
          var t = r.textContent.toLowerCase();
          r.hidden = !words.every(function (w) { return t.indexOf(w) >= 0; });
        });
      });
    }
  });
})();
</script>
</body>
</html>
"""


def render_page(*, meta: dict[str, Any], rows: Sequence[Row], data: SweepData,
                figures: Sequence[FigureFile], refs: Sequence[tuple[str, Reference]],
                notes: Sequence[str], fmt: Callable[[Any], str], max_rows: int,
                generated: str) -> str:
    """The HTML text of the report page."""
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(TEMPLATE)
    rank = {p.key: p.rank for p in data.points}
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    columns = list(data.objectives) + [m for m in HEADLINE if m not in data.objectives]
    front_keys = {p.key for p in data.points if p.rank == 1}
    return template.render(
        name=data.name, meta=_Meta(meta), version=sim.__version__, rows=rows, total=len(rows),
        counts=counts, objectives=data.objectives, constraints=meta.get("constraints", []),
        vary=data.vary, figures=figures, refs=refs, notes=notes, fmt=fmt, max_rows=max_rows,
        mtext=labels.text, dv=_data_value,
        generated=generated, rank=rank, columns=columns,
        feasible=sum(p.feasible for p in data.points),
        feasible_keys={p.key: p.feasible for p in data.points},
        front=[r for r in rows if r.key in front_keys],
        failed=[r for r in rows if r.status == "failed"])


def _data_value(value: Any) -> Markup:
    """`` data-v="..."``: the stored number of a cell (full precision), for sorting."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return Markup("")
    return Markup(' data-v="{}"').format(repr(value))


class _Meta(dict[str, Any]):
    """Stored sweep facts with attribute access; unknown facts render empty."""

    def __getattr__(self, name: str) -> Any:
        return self.get(name, "")
