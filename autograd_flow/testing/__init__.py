"""Property-testing gradients: hypothesis strategies for arrays, shapes and random flow
graphs, assertions that compare bprop with finite differences, and ``check_box`` to
test a custom box in three lines::

    from autograd_flow.testing import check_box

    def test_cube():
        check_box(Cube)

Failures carry ``.code``: Python that rebuilds the smallest failing case with ``af.``
calls and repeats the check, ready to paste into a test. Needs hypothesis
(``pip install "autograd_flow[testing]"``).
"""
from ..extras import explain

try:
    from . import strategies
    from .assertions import (
        GradientMismatch,
        PropertyError,
        assert_box_properties,
        assert_bprop_linear,
        assert_bprop_repeatable,
        assert_fprop_deterministic,
        assert_gradient_shapes,
        assert_gradients_match,
        assert_hessian_symmetric,
        assert_inputs_not_mutated,
        check_box,
        check_graph,
    )
    from .codegen import to_python
    from .strategies import RandomGraph, flow_graphs
except ModuleNotFoundError as error:  # hypothesis: say which extra brings it
    raise explain(error, "autograd_flow.testing") or error from None

__all__ = [
    "check_box", "check_graph", "assert_gradients_match", "assert_box_properties",
    "assert_bprop_linear", "assert_bprop_repeatable", "assert_fprop_deterministic",
    "assert_gradient_shapes", "assert_inputs_not_mutated", "assert_hessian_symmetric",
    "to_python", "flow_graphs", "RandomGraph", "strategies",
    "PropertyError", "GradientMismatch",
]
