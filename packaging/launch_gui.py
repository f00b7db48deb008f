"""Entry script for the PyInstaller build (the package itself uses relative imports)."""

import sys

from slrfr_gui.gui.app import main

sys.exit(main())
