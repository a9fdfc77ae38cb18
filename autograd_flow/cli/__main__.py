"""``python -m autograd_flow.cli ...``: the ``autograd-flow`` command line (see
:func:`autograd_flow.cli.main`)."""
from __future__ import annotations

import sys

from . import main

if __name__ == "__main__":
    sys.exit(main())
