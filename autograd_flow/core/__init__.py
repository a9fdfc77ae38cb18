"""The core of the engine: boxes and leaves, the order a graph runs in, the interpreter,
feeding, and undoing broadcasting. It imports nothing from the layers above it
(primitives, plans, autodiff, networks, pictures); see docs/ARCHITECTURE.md."""
from .box import Box, Constant, Input, Leaf, Parameter, as_box
from .broadcast import unbroadcast
from .graph import FlowGraph
from .order import Schedule, topological_order
from .scope import Scope, composite, scope

__all__ = ["Box", "Constant", "Input", "Leaf", "Parameter", "as_box", "unbroadcast",
           "FlowGraph", "Schedule", "topological_order", "Scope", "composite", "scope"]
