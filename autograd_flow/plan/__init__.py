"""Compiled run plans: a FlowGraph writes straight-line Python for its fprop and bprop,
once per input signature (the shapes, dtypes and memory layouts of its fed Inputs and
its Parameters), with buffers and rewrites of
primitive patterns. ``graph.source()`` shows the code. See :mod:`.compiler`."""
from . import jit
from .compiler import MAX_BOXES, Plan, compile_plan, find_rewrites
from .rewrites import REWRITES, Match, Rewrite
from .writer import Fallback

__all__ = ["jit", "MAX_BOXES", "Plan", "compile_plan", "find_rewrites", "REWRITES", "Match",
           "Rewrite", "Fallback"]
