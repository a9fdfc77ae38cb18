"""Sub-commands of the ``autograd-flow`` command line (see :mod:`autograd_flow.cli`)."""
