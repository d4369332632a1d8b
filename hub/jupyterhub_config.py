"""JupyterHub for this course on one machine: `make hub` starts it with this file (see hub/README.md).

Everything is read from the environment (HOST, HUB_PORT, HUB_STATE_DIR, HUB_INSTRUCTORS, HUB_LEARNERS,
DATABASE_URL): hub/course_hub.py says what each does.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from course_hub import configure

configure(get_config())  # noqa: F821 - JupyterHub provides get_config() to its config file
