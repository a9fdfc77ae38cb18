"""Compiled run plans: a FlowGraph writes straight-line Python for its fprop and bprop,
once per input signature (the shapes, dtypes and memory layouts of its fed Inputs and
its Parameters), by tracing one step of its boxes' own formulas (:mod:`.trace`,
:mod:`.step`) and writing the tape as code with buffers (:mod:`.compiler`); a few
patterns run as one formula (:mod:`.rewrites`). ``graph.source()`` shows the code.
:mod:`.cache` keeps a graph's plans, and registers itself with the core here, so that
every FlowGraph compiles."""
from ..core.graph import register_compiler
from . import jit
from .cache import MAX_BOXES, MAX_PLANS, PlanCache
from .compiler import Plan, compile_plan
from .rewrites import REWRITES, Match, Rewrite, find_rewrites
from .writer import Fallback

register_compiler(PlanCache)

__all__ = ["jit", "MAX_BOXES", "MAX_PLANS", "Plan", "PlanCache", "compile_plan",
           "find_rewrites", "REWRITES", "Match", "Rewrite", "Fallback"]
