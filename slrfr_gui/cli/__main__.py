"""``python -m slrfr_gui.cli``: the ``slrfr`` command."""

import sys

from .slrfr import main

sys.exit(main())
