"""HTML helpers for self-contained report pages: inline CSS and JS, figures as base64 PNG, no network.

Every page works offline from a single file (mailed, copied off the cluster, opened from a laptop). The pages
are Jinja2 templates in ``templates/`` (package data): ``base.html`` (head, style, script), ``summary.html``
and ``session.html`` extend it, ``macros.html`` holds the pieces (table, kv_table, figure, warnings_box,
note_box and the session sections). Autoescaping is on: a value is escaped once, by the template, unless it is
:class:`~markupsafe.Markup` (trusted HTML, e.g. a link whose parts were escaped by ``Markup.format``).
"""

from __future__ import annotations

import base64
import functools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import jinja2
from markupsafe import Markup

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:1.5em auto;max-width:1100px;
color:#1f2328;padding:0 1em;line-height:1.45}
h1{font-size:1.5em;margin-bottom:.2em} h2{font-size:1.25em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;
margin-top:1.8em} h3{font-size:1.05em;margin-bottom:.3em}
a{color:#0969da} code{background:#f6f8fa;padding:0 .25em;border-radius:3px;font-size:.92em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em} th,td{border:1px solid #d0d7de;padding:.3em .6em;
text-align:left;vertical-align:top} th{background:#f6f8fa;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.scroll{overflow-x:auto;max-width:100%}
.alert{background:#fdecea;border:1px solid #f4b4ae;border-left:8px solid #d92d20;padding:.7em 1.1em;margin:1em 0;
border-radius:4px} .alert strong.head{color:#b42318;font-size:1.1em}
.warn{background:#fff4e5;border:1px solid #f7c97e;border-left:8px solid #f79009;padding:.6em 1.1em;margin:.8em 0;
border-radius:4px} .warn strong.head{color:#93370d}
.alert ul,.warn ul{margin:.3em 0 .2em 1.2em;padding:0}
.note{background:#f6f8fa;border:1px solid #d0d7de;border-left:8px solid #8c959f;padding:.6em 1.1em;margin:.8em 0;
border-radius:4px} .note strong.head{color:#3d444d} .note ul{margin:.3em 0 .2em 1.2em;padding:0}
tr.skipped td{color:#57606a}
.ok{color:#1a7f37;font-weight:600} .bad{color:#b42318;font-weight:600} .caution{color:#93370d;font-weight:600}
.muted{color:#57606a;font-size:.88em}
tr.nosignal td{background:#fdecea} tr.flag td{background:#fff8e6}
table.network td.flag{background:#fff8e6} table.network td.skipped{color:#57606a}
table.network caption{text-align:left;font-size:.9em;color:#57606a} details.pairs{margin:.8em 0}
figure{margin:1em 0} figure img{max-width:100%;height:auto;border:1px solid #eaeef2}
figcaption{font-size:.9em;color:#3d444d;max-width:880px;margin-top:.3em}
.measured{background:#f6f8fa;border:1px solid #d0d7de;border-radius:4px;padding:.6em 1em;margin:.6em 0}
.measured p{margin:.25em 0}
dl.glossary dt{font-weight:600;margin-top:.5em} dl.glossary dd{margin-left:1.5em}
table.kv th{width:16em} .hash{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
table.sortable th{cursor:pointer;white-space:nowrap} table.sortable th::after{content:" \\2195";color:#8c959f}
table.sortable th[aria-sort=ascending]::after{content:" \\2191";color:#1f2328}
table.sortable th[aria-sort=descending]::after{content:" \\2193";color:#1f2328}
.controls{margin:.6em 0;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
.controls input[type=search]{padding:.3em .5em;min-width:18em}
nav.toc{font-size:.92em} nav.toc a{margin-right:1em} table.sortable td:first-child{white-space:nowrap}
"""

#: Sorting and filtering of ``table.sortable`` / ``table.filterable`` (vanilla JS, no library, no network).
TABLE_JS = """
(function(){
  function val(c){var v=c.getAttribute('data-v');return v===null?c.textContent:v;}
  document.querySelectorAll('table.sortable').forEach(function(t){
    var ths=t.tHead.rows[0].cells;
    Array.prototype.forEach.call(ths,function(th,i){
      th.addEventListener('click',function(){
        var dir=th.getAttribute('aria-sort')==='ascending'?-1:1;
        Array.prototype.forEach.call(ths,function(h){h.removeAttribute('aria-sort');});
        th.setAttribute('aria-sort',dir===1?'ascending':'descending');
        var body=t.tBodies[0],rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){
          var x=val(a.cells[i]),y=val(b.cells[i]),nx=parseFloat(x),ny=parseFloat(y);
          var bx=(x===''||isNaN(nx)),by=(y===''||isNaN(ny));
          if(!bx&&!by){return dir*(nx-ny);}
          if(x===''||y===''){return x===''?1:-1;}
          return dir*String(x).localeCompare(String(y),undefined,{numeric:true});
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
  var q=document.getElementById('filter'),only=document.getElementById('only-flagged');
  function apply(){
    var text=q?q.value.toLowerCase():'',shown=0,total=0;
    document.querySelectorAll('table.filterable').forEach(function(t){
      Array.prototype.forEach.call(t.tBodies[0].rows,function(r){
        var ok=r.textContent.toLowerCase().indexOf(text)>=0&&(!only||!only.checked||r.classList.contains('flag')
          ||r.classList.contains('nosignal'));
        r.style.display=ok?'':'none';total++;if(ok){shown++;}
      });
    });
    var c=document.getElementById('filter-count');if(c){c.textContent='showing '+shown+' of '+total+' rows';}
  }
  if(q){q.addEventListener('input',apply);} if(only){only.addEventListener('change',apply);} apply();
})();
"""


def fmt(value: Any, digits: int = 3) -> str:
    """Numbers with ``digits`` decimals (NaN/None as an en dash), lists joined, the rest as text."""
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "–"
        return f"{value:.{digits}f}" if abs(value) < 1e5 else f"{value:.4g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, digits) for v in value) or "–"
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {fmt(v, digits)}" for k, v in value.items()) or "–"
    return str(value)


def count(value: Any) -> str:
    """A count with thousands separators (``13,998``); None as an en dash."""
    return "–" if value is None else f"{int(value):,}"


def _sort_value(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return "" if v is None else str(int(v))
    if isinstance(v, (int, float)):
        return "" if not math.isfinite(v) else repr(v)
    return str(v)


def anchor(text: str) -> str:
    """An id made of the lower-case words of ``text`` joined by ``-`` (glossary and section anchors)."""
    return "-".join("".join(ch if ch.isalnum() else " " for ch in text.lower()).split())


def _cell(value: Any) -> Any:
    """A table cell: trusted HTML (:class:`~markupsafe.Markup`) as it is, anything else through :func:`fmt`
    (and then autoescaped)."""
    return value if isinstance(value, Markup) else fmt(value)


def _all_keys(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    return list(dict.fromkeys(k for r in rows for k in r))


@functools.cache
def environment() -> jinja2.Environment:
    """The Jinja2 environment of the report pages: templates from ``neuralmi_core/report/templates``
    (package data), autoescaping on, so that every value is escaped unless it is :class:`~markupsafe.Markup`."""
    env = jinja2.Environment(loader=jinja2.PackageLoader("neuralmi_core.report", "templates"),
                             autoescape=jinja2.select_autoescape(["html"]), keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters.update(anchor=anchor, fmt=fmt, count=count, cell=_cell, sort_value=_sort_value, all_keys=_all_keys,
                       b64=lambda png: base64.b64encode(png).decode("ascii"))
    env.tests.update(markup=lambda v: isinstance(v, Markup),
                     numeric=lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    return env


def render(template: str, **context: Any) -> str:
    """Render one of the report templates (``base.html``, ``summary.html``, ``session.html``)."""
    return environment().get_template(template).render(css=Markup(CSS), **context)


def macro(name: str) -> Any:
    """A macro of ``macros.html`` (e.g. ``table``), callable from Python; it returns Markup."""
    return getattr(environment().get_template("macros.html").module, name)


def page(title: str, body: str, script: str = "") -> str:
    """A whole page (``base.html``): ``body`` and ``script`` are trusted HTML and JS, ``title`` is escaped."""
    return render("base.html", title=title, body=Markup(body), script=Markup(script))
