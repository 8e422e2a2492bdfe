"""Load a report page in headless Chromium and report what a reader's browser would see.

:func:`check_page` injects a small script at the top of a copy of the page that records script errors
and ``console.error`` calls, and on ``load`` writes into the DOM: the images and whether each decoded
(``naturalWidth > 0``), every resource fetched from outside the page (a self-contained page fetches
none), and, on pages with a sortable table, what sorting and filtering did. Chromium prints the DOM
(``--dump-dom``); its console log (``--enable-logging=stderr``) is scanned for errors too.

Chromium is required where ``NEURALMI_REQUIRE_CHROMIUM=1`` (set by ``.ci/run``, which installs it); elsewhere
the tests skip with the reason.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

REQUIRE_ENV = "NEURALMI_REQUIRE_CHROMIUM"

CHECKER = """<script>
window.__errs=[];
window.addEventListener('error',function(e){__errs.push(e.message||('failed to load '+((e.target&&(e.target.src||e.target.href))||'?')));},true);
(function(){var ce=console.error;console.error=function(){__errs.push(Array.prototype.join.call(arguments,' '));ce.apply(console,arguments);};})();
window.addEventListener('load',function(){
  var imgs=Array.prototype.slice.call(document.images);
  var r={errors:__errs,images:imgs.map(function(i){return {alt:i.alt,ok:i.complete&&i.naturalWidth>0,w:i.naturalWidth};}),
         external:performance.getEntriesByType('resource').map(function(e){return e.name;}).filter(function(n){return n.indexOf('data:')!==0;})};
  var t=document.querySelector('table.sortable');
  if(t){
    var rows=function(){return Array.prototype.slice.call(t.tBodies[0].rows);};
    var col=function(i){return rows().map(function(x){return x.cells[i].getAttribute('data-v');});};
    var visible=function(){return Array.prototype.slice.call(document.querySelectorAll('table.filterable tbody tr')).filter(function(x){return x.style.display!=='none';}).length;};
    var th=t.tHead.rows[0].cells[3];
    th.click(); r.sort_asc=col(3); th.click(); r.sort_desc=col(3);
    r.rows_total=visible();
    var q=document.getElementById('filter'); q.value='no-such-session-zzz'; q.dispatchEvent(new Event('input'));
    r.rows_no_match=visible(); q.value=''; q.dispatchEvent(new Event('input'));
    var cb=document.getElementById('only-flagged'); cb.checked=true; cb.dispatchEvent(new Event('change'));
    r.rows_flagged=visible(); cb.checked=false; cb.dispatchEvent(new Event('change'));
  }
  var pre=document.createElement('pre'); pre.id='__check'; pre.textContent=JSON.stringify(r); document.body.appendChild(pre);
});
</script>"""


def chromium() -> str:
    """Path of the Chromium binary; skip (or fail where CI requires it) when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{REQUIRE_ENV}=1 but no Chromium on PATH: the page checks must run in CI (.ci/run installs "
                    "Debian's chromium)")
    pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium); CI installs it and runs "
                "these checks")


def browser_args(profile: str) -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            f"--user-data-dir={profile}"]


def check_page(page: Path) -> dict:
    """Load ``page`` (a copy with the checker injected) and return the checker's findings plus ``console``."""
    exe = chromium()
    text = page.read_text()
    assert "<head>" in text, f"{page}: no <head>"
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / page.name
        copy.write_text(text.replace("<head>", "<head>" + CHECKER, 1))
        proc = subprocess.run([exe, *browser_args(str(Path(tmp) / "profile")), "--enable-logging=stderr", "--v=0",
                               "--virtual-time-budget=10000", "--dump-dom", copy.as_uri()],
                              capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="__check">(.*?)</pre>', proc.stdout, re.S)
    assert m, f"Chromium did not finish loading {page} (rc {proc.returncode}):\n{proc.stderr[-3000:]}"
    import html

    found = json.loads(html.unescape(m.group(1)))
    found["console"] = [line for line in proc.stderr.splitlines() if "CONSOLE" in line and
                        re.search(r"error|uncaught", line, re.I)]
    return found


def assert_page_ok(page: Path, min_images: int = 1) -> dict:
    found = check_page(page)
    assert not found["errors"] and not found["console"], (page, found["errors"], found["console"])
    assert len(found["images"]) >= min_images, (page, found["images"])
    broken = [i for i in found["images"] if not i["ok"]]
    assert not broken, (page, broken)
    assert not found["external"], f"{page} fetched {found['external']}: it must work offline"
    return found


def screenshot(page: Path, out: Path, height: int = 2400) -> Path:
    """Full-width screenshot of ``page`` (for looking at, not for asserting)."""
    exe = chromium()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([exe, *browser_args(tmp), "--hide-scrollbars", f"--screenshot={out}",
                        f"--window-size=1280,{height}", page.as_uri()], capture_output=True, timeout=180)
    return out
