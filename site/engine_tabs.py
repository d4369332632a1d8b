"""Sphinx extension of the course site: the engine tabs of a cell whose output differs on PostgreSQL or MariaDB.

site/build.py writes each such cell as MyST-NB reads it: the SQLite cell (metadata ``course_engine_switch``: the
engines it has, SQLite first), then one hidden-input cell per other engine carrying that engine's outputs
(``course_engine``, ``course_engine_same``). Once MyST-NB has turned a page into a doctree, this extension moves
each engine's rendered output into the SQLite cell, under a row of tabs, and drops the extra cells:

    <div class="cell engine-cell">
      <div class="cell_input">…the code, once…</div>
      <div class="engine-switch">
        <input type="radio" class="engine-radio" value="sqlite" checked><label>SQLite</label>
        <input type="radio" class="engine-radio" value="postgresql"><label>PostgreSQL</label> …
        <div class="engine-panel engine-panel-sqlite"><div class="cell_output">…</div></div>
        <div class="engine-panel engine-panel-postgresql"><div class="cell_output">…</div></div> …

The tabs are radio buttons, and site/_static/course.css shows the panel of the checked one: without JavaScript
the SQLite output shows and a click on a tab shows another engine's. site/_static/engines.js adds the site-wide
choice of engine (remembered in localStorage) on top. Every output is rendered by MyST-NB itself (tables, charts,
ANSI colours), so an engine's output looks like SQLite's would. The markup depends on nothing but the sources.
"""

from __future__ import annotations

import html
from typing import Any

from docutils import nodes

# The same names as in site/build.py, which writes them into the cells' metadata.
ENGINES = {"sqlite": "SQLite", "postgresql": "PostgreSQL", "mariadb": "MariaDB"}
SWITCH_KEY = "course_engine_switch"
ENGINE_KEY = "course_engine"
SAME_KEY = "course_engine_same"


def _is_code_cell(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and node.get("nb_element") == "cell_code"


def _metadata(node: nodes.Node) -> dict[str, Any]:
    return (node.get("cell_metadata") or {}) if _is_code_cell(node) else {}


def tabs_html(name: str, engines: list[str], same: dict[str, bool]) -> str:
    """The radio buttons and their labels, one per engine (SQLite checked): the tabs above the outputs.

    >>> print(tabs_html("e4", ["sqlite", "mariadb"], {"mariadb": False}).replace("><", ">\\n<"))
    <span class="engine-caption">Output on</span>
    <input type="radio" class="engine-radio" name="e4" id="e4-sqlite" value="sqlite" autocomplete="off" checked>
    <label class="engine-tab" for="e4-sqlite">SQLite</label>
    <input type="radio" class="engine-radio" name="e4" id="e4-mariadb" value="mariadb" autocomplete="off">
    <label class="engine-tab" for="e4-mariadb">MariaDB</label>
    """
    parts = ['<span class="engine-caption">Output on</span>']
    for engine in engines:
        ident = f"{name}-{engine}"
        checked = " checked" if engine == "sqlite" else ""
        parts.append(
            f'<input type="radio" class="engine-radio" name="{name}" id="{ident}" value="{engine}" '
            f'autocomplete="off"{checked}>'
        )
        if same.get(engine):
            label = f'<label class="engine-tab engine-same" for="{ident}" title="The same output as SQLite">'
        else:
            label = f'<label class="engine-tab" for="{ident}">'
        parts.append(f"{label}{html.escape(ENGINES[engine])}</label>")
    return "".join(parts)


def fold_engine_cells(app: Any, doctree: nodes.document) -> None:
    """Give every cell marked by site/build.py its tabs, with the outputs of the hidden cells that follow it."""
    for cell in list(doctree.findall(_is_code_cell)):
        engines = _metadata(cell).get(SWITCH_KEY)
        if not engines or cell.parent is None:
            continue
        parent = cell.parent
        outputs: dict[str, list[nodes.Node]] = {
            "sqlite": [child for child in cell.children if child.get("nb_element") == "cell_code_output"]
        }
        same: dict[str, bool] = {}
        for sibling in list(parent.children[parent.index(cell) + 1 :]):
            engine = _metadata(sibling).get(ENGINE_KEY)
            if engine is None or engine in outputs:
                break
            outputs[engine] = [child for child in sibling.children if child.get("nb_element") == "cell_code_output"]
            same[engine] = bool(_metadata(sibling).get(SAME_KEY))
            parent.remove(sibling)
        for child in outputs["sqlite"]:
            cell.remove(child)
        name = f"engines-{cell['cell_index']}"
        # engine-has-*: which engines the early CSS (EARLY_SCRIPT) may show before the radios are set.
        switch = nodes.container(classes=["engine-switch", *(f"engine-has-{e}" for e in engines if e in outputs)])
        switch += nodes.raw("", tabs_html(name, [e for e in engines if e in outputs], same), format="html")
        for engine in engines:
            if engine not in outputs:
                continue
            panel = nodes.container(classes=["engine-panel", f"engine-panel-{engine}"])
            panel.extend(outputs[engine])
            if not outputs[engine]:
                panel += nodes.paragraph("", f"No output on {ENGINES[engine]}.", classes=["engine-none"])
            switch += panel
        cell += switch
        cell["classes"].append("engine-cell")


#: Inline in every page's <head>, before the body is drawn: the stored engine as <html data-engine-early="…">, so
#: site/_static/course.css shows that engine's panels from the first paint. engines.js (deferred, it needs the
#: body) then checks the radios and removes the attribute; so does the page's load event, if engines.js failed.
EARLY_SCRIPT = (
    "(function(){try{var e=localStorage.getItem('course-engine');"
    "if(e==='postgresql'||e==='mariadb'){var h=document.documentElement;h.setAttribute('data-engine-early',e);"
    "addEventListener('load',function(){h.removeAttribute('data-engine-early')})}}catch(x){}})();"
)


def setup(app: Any) -> dict[str, Any]:
    app.connect("doctree-read", fold_engine_cells)
    app.add_js_file(None, body=EARLY_SCRIPT, priority=100)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
