"""Sphinx configuration of the course site (built by site/build.py, which writes the source folder first)."""

import sys
from pathlib import Path

# site/engine_tabs.py, beside this file: the tabs of a cell whose output differs on PostgreSQL or MariaDB.
sys.path.insert(0, str(Path(__file__).resolve().parent))

project = "Database with SQLAlchemy — for Laravel developers"
author = "The course authors"
language = "en"
root_doc = "index"

extensions = ["myst_nb", "engine_tabs"]
exclude_patterns = ["_learner", "**.ipynb_checkpoints"]

# The committed outputs in solutions/ are the page: never run a notebook while building.
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
# "## Course map" on the home page is the target of every lesson's [Contents] link (index.md#course-map), and a
# lesson's "## …" and "### Careful: …" sections are the targets of the errata page's links (02-crud.ipynb#careful-…):
# a link to a heading that is gone fails the build.
myst_heading_anchors = 3

html_theme = "sphinx_book_theme"
html_title = "Database with SQLAlchemy"
html_theme_options = {
    "home_page_in_toc": True,
    # No "on this page" column: lessons print SQL and code up to 120 characters wide, and need the room.
    "secondary_sidebar_items": [],
    "use_download_button": False,  # each lesson offers its learner notebook instead of this page's source
    "use_fullscreen_button": False,
    "navigation_with_keys": False,
    "navbar_persistent": [],  # search lives in the sidebar; the header would show a second search field
}
html_static_path = ["_static"]
html_css_files = ["course.css"]
# The site-wide choice of engine for the engine tabs, remembered in localStorage (plain script, no framework).
html_js_files = [("engines.js", {"defer": "defer"})]

# Nothing on a page depends on the day or the machine that built it.
html_show_sourcelink = False
html_copy_source = False
html_show_copyright = False
html_show_sphinx = False
html_last_updated_fmt = None
html_use_index = False  # no index entries: an empty "Index" page would only be a dead end
