"""Derivatives beyond one backward pass: gradients as boxes (:func:`grad`), Hessian-vector
and Jacobian-vector products (:func:`hvp`, :func:`jvp`), the exact Hessian
(:func:`hessian`) and finite-difference checks (:func:`gradcheck`)."""
from .directional import hvp, jvp
from .grad import grad
from .gradcheck import GradcheckReport, gradcheck
from .hessian import hessian

__all__ = ["grad", "hvp", "jvp", "hessian", "gradcheck", "GradcheckReport"]
