"""One declaration per primitive. A primitive box class (or a function that builds
boxes) is declared once, in the ops module that defines it::

    @primitive("tanh", numpy=np.tanh, common=True)
    class Tanh(Box):
        \"\"\"y = tanh(a);   d a = d y * (1 - y**2)\"\"\"
        def fprop(self, a): ...
        def bprop(self, grad, a): ...

and everything else derives from the declarations, filled in at import and never
changed after: the ``af`` function of that name (``af.tanh``), the numpy calls that
build the box when given boxes (``np.tanh(box)``, see
:mod:`autograd_flow.core.numpy_protocol`), the Box methods (``box.sum()``), the list of
primitives the op tables check, and the vocabulary of ``af.testing``'s random graphs
(the input domain, ranks and sampling recipe stated here).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from ..core import numpy_protocol
from ..core.box import Box, fprop_arity

T = TypeVar("T")


@dataclass(frozen=True)
class Declaration:
    """A primitive or a function of the ``af`` namespace, as its module declares it.

    ``name``: the af function (numpy's name where numpy has one); ``function`` builds
    the box; ``box``: the primitive class it builds (None for a function that wires
    several); ``kind``: the module that declares it.

    For the random graphs of :mod:`autograd_flow.testing`: ``op`` its name there
    (default ``name``); ``domain`` where its inputs may lie (a domain of
    :mod:`autograd_flow.testing.domains`, or one per input); ``dims`` the ranks of
    its first input; ``bound`` the largest magnitude it takes; ``common``: an op every
    graph library has (random graphs shrink towards those first); ``graphs``: drawn
    in random graphs at all. A primitive of one or two inputs is drawn on its own;
    one with settings worth drawing has a recipe in :mod:`autograd_flow.testing`."""

    name: str | None
    function: Callable[..., Any] | None
    box: type[Box] | None
    kind: str
    op: str | None = None
    domain: str | tuple[str, ...] = "real"
    dims: tuple[int, int] = (0, 3)
    bound: float | None = None
    common: bool = False
    graphs: bool = True

    @property
    def vocabulary_name(self) -> str:
        """Its name in random graphs."""
        return self.op or self.name or (self.box.__name__ if self.box else "?")


#: every declaration, in the order the modules declare them
DECLARATIONS: list[Declaration] = []
#: the af namespace: function name -> function (aliases included)
NAMESPACE: dict[str, Callable[..., Any]] = {}
#: the sub-namespaces of af, as numpy's (``af.linalg``): a dotted name ("linalg.det")
#: declares a function there
SUBNAMESPACES: dict[str, dict[str, Callable[..., Any]]] = {}


def _kind(module: str) -> str:
    return module.rsplit(".", 1)[-1]


def _enroll(declaration: Declaration, aliases: tuple[str, ...], numpy: Any,
            method: str | tuple[str, ...] | None) -> None:
    DECLARATIONS.append(declaration)
    function = declaration.function
    if function is None:
        return
    for name in ((declaration.name,) if declaration.name else ()) + aliases:
        space, _, short = name.rpartition(".")
        table = SUBNAMESPACES.setdefault(space, {}) if space else NAMESPACE
        if short in table:
            raise RuntimeError(f"af.{name} is declared twice")
        table[short] = function
    for numpy_callable in (numpy if isinstance(numpy, tuple) else (numpy,)):
        if numpy_callable is not None:
            builds(numpy_callable)(function)
    for method_name in (method if isinstance(method, tuple) else (method,)):
        if method_name is not None:
            setattr(Box, method_name, function)


def _signature_of(cls: type[Box]) -> inspect.Signature:
    """The signature a class's af function shows: its __init__'s, or its fprop's inputs."""
    if cls.__init__ is not Box.__init__:
        parameters = list(inspect.signature(cls.__init__).parameters.values())[1:]
    else:
        parameters = [p.replace(kind=p.POSITIONAL_OR_KEYWORD, default=p.empty)
                      for p in list(inspect.signature(cls.fprop).parameters.values())[1:]]
        if fprop_arity(cls) is None:
            parameters = [inspect.Parameter("inputs", inspect.Parameter.VAR_POSITIONAL)]
        parameters.append(inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY,
                                            default=None))
    return inspect.Signature(parameters)


def _function_of(cls: type[Box], name: str) -> Callable[..., Box]:
    """The af function that builds a ``cls`` box (``name=`` names the box)."""

    signature = _signature_of(cls)
    by_position = [p.name for p in signature.parameters.values()
                   if cls.__init__ is Box.__init__ and p.kind is p.POSITIONAL_OR_KEYWORD]

    def build(*args: Any, **kwargs: Any) -> Box:
        if by_position and kwargs.keys() - {"name"}:  # inputs by name (np.dot(a, b=b))
            bound = signature.bind(*args, **kwargs).arguments
            args = tuple(bound[p] for p in by_position if p in bound)
            kwargs = {"name": bound["name"]} if "name" in bound else {}
        return cls(*args, **kwargs)

    space, _, build.__name__ = name.rpartition(".")
    build.__qualname__ = build.__name__
    build.__module__ = "autograd_flow" + (f".{space}" if space else "")
    formula = inspect.cleandoc(cls.__doc__ or "")
    build.__doc__ = f"{formula}\n\n(Builds a :class:`autograd_flow.ops.{cls.__name__}` box.)"
    build.__signature__ = signature  # type: ignore[attr-defined]
    return build


def primitive(name: str | None = None, *, numpy: Any = None, aliases: tuple[str, ...] = (),
              method: str | tuple[str, ...] | None = None, **testing: Any
              ) -> Callable[[type[T]], type[T]]:
    """Declare a primitive box class: its af function ``name`` (None for the boxes only
    :func:`autograd_flow.grad` makes; "linalg.det" for ``af.linalg.det``), the numpy
    ufunc or function that builds it on boxes, ``aliases`` (other af names), the Box
    ``method`` of the same signature, and the random-graph settings of
    :class:`Declaration` (``domain``, ``dims``, ...)."""

    def declare(cls: type[T]) -> type[T]:
        assert issubclass(cls, Box)
        cls.primitive = True
        function = _function_of(cls, name or cls.__name__) if name or aliases else None
        graphs = testing.pop("graphs", name is not None or "op" in testing)
        _enroll(Declaration(name, function, cls, _kind(cls.__module__), graphs=graphs,
                            **testing), aliases, numpy, method)
        return cls

    return declare


def function(name: str, *, box: type[Box] | None = None, numpy: Any = None,
             aliases: tuple[str, ...] = (), method: str | tuple[str, ...] | None = None,
             **testing: Any) -> Callable[[T], T]:
    """Declare a function of the af namespace written by hand (numpy's signature where
    it differs from a box's, or a composite of primitives): as :func:`primitive`;
    ``box`` is the primitive it builds, if one."""

    def declare(fn: T) -> T:
        assert callable(fn)
        kind = _kind(fn.__module__)
        space = name.rpartition(".")[0]
        fn.__module__ = "autograd_flow" + (f".{space}" if space else "")
        _enroll(Declaration(name, fn, box, kind, **testing), aliases, numpy, method)
        return fn

    return declare


def method(name: str, *, as_property: bool = False) -> Callable[[T], T]:
    """Declare a Box method with ndarray's signature (``box.reshape(2, 3)``,
    ``box.T``): attached to Box at import."""

    def declare(fn: T) -> T:
        setattr(Box, name, property(fn) if as_property else fn)  # type: ignore[arg-type]
        return fn

    return declare


def builds(numpy_callable: Any) -> Callable[[T], T]:
    """Register ``fn`` as what ``numpy_callable`` (a ufunc or a numpy function) builds
    when it is called with a box: ``np.tanh(box)`` -> ``af.tanh(box)``. A numpy
    function's arguments are read by numpy's own signature; an argument the af
    function does not take is a TypeError naming it (never ignored), unless it has
    numpy's default (``out=None``)."""

    def register(fn: T) -> T:
        if isinstance(numpy_callable, np.ufunc):
            numpy_protocol.UFUNCS[numpy_callable] = fn  # type: ignore[assignment]
        else:
            numpy_protocol.FUNCTIONS[numpy_callable] = _numpy_call(numpy_callable, fn)
        return fn

    return register


def _numpy_call(numpy_function: Any, fn: Any) -> Callable[..., Any]:
    """A call of ``fn`` from the arguments of a call of ``numpy_function``."""
    signature = inspect.signature(numpy_function)
    parameters = signature.parameters
    first = next(iter(parameters))
    accepted = set(inspect.signature(fn).parameters) - {"name"}
    what = f"np.{numpy_function.__name__}"

    def refuse(argument: str) -> TypeError:
        return TypeError(f"{what}(..., {argument}=...) has no box form: the af function "
                         f"takes {', '.join(sorted(accepted))}.")

    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            bound = signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{what}: {error}") from None
        positional: list[Any] = []
        keywords: dict[str, Any] = {}
        for argument, value in bound.arguments.items():
            kind = parameters[argument].kind
            if kind is inspect.Parameter.VAR_POSITIONAL:
                positional.extend(value)
            elif kind is inspect.Parameter.VAR_KEYWORD:
                for key, item in value.items():
                    if key not in accepted:
                        raise refuse(key)
                    keywords[key] = item
            elif kind is inspect.Parameter.POSITIONAL_ONLY or argument == first:
                positional.append(value)
            elif argument in accepted:
                keywords[argument] = value
            elif value is not parameters[argument].default:
                raise refuse(argument)
        return fn(*positional, **keywords)

    call.__name__ = what
    return call
