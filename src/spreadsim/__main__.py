"""``python -m spreadsim`` runs the command-line interface."""

import sys

from spreadsim.cli import main

sys.exit(main())
