"""The primitives the ONNX export refuses, each with the reason: standard ONNX has no op
that computes them to numpy's accuracy (a decomposition, an inverse, a special function,
a NaN's sign bit, introselect's order), their length depends on the data, or they run a
bprop rather than a formula. Exporting a graph holding one raises OnnxError naming the
box, the line that created it and this reason; nothing is written."""
from __future__ import annotations

from .. import ops

_DECOMPOSITION = ("ONNX has no matrix decomposition or inverse (no LU, Cholesky, QR, "
                  "eigen or singular value op)")
_GRADIENT_PART = "it is a part of the gradient of a matrix decomposition, which has no ONNX form"
_SPECIAL = "ONNX has no {} function"
_LOG_NDTR = "normal log-CDF (and 1 - Erf loses its accuracy in the tail)"

#: box class -> why the export cannot write it (the README's ONNX section lists them)
NO_FORM: dict[type, str] = {
    ops.Adjoint: "it runs the bprop of a linear box, not a formula",
    ops.NumericBprop: "it runs a box's bprop, not a formula",
    **{cls: _DECOMPOSITION for cls in (
        ops.Cholesky, ops.Eigh, ops.Eigvalsh, ops.Svd, ops.Svdvals, ops.Qr, ops.Lstsq,
        ops.LstsqResiduals, ops.Inv, ops.Solve, ops.Pinv, ops.MatrixRank)},
    **{cls: "ONNX has only Det, whose value under- or overflows where slogdet's does not "
            "(and whose sign at a singular matrix is rounding noise)"
       for cls in (ops.SignDet, ops.LogAbsDet)},
    **{cls: _GRADIENT_PART for cls in (
        ops.InverseGaps, ops.Leading, ops.Trailing, ops.TallOnly, ops.Invertible)},
    ops.Erfc: "ONNX has Erf only, and 1 - Erf loses erfc's relative accuracy for large "
              "arguments",
    ops.Gammaln: _SPECIAL.format("log-gamma"),
    ops.Digamma: _SPECIAL.format("digamma"),
    ops.Polygamma: _SPECIAL.format("polygamma"),
    ops.LogNdtr: _SPECIAL.format(_LOG_NDTR),
    ops.LogNdtrSlope: _SPECIAL.format(_LOG_NDTR),
    ops.Erfinv: _SPECIAL.format("inverse error"),
    ops.Erfcx: _SPECIAL.format("scaled complementary error") + " (and exp(a**2) (1 - Erf) "
                                                             "overflows for large a)",
    ops.Ndtr: "ONNX has Erf only, and (1 + Erf(a / sqrt 2)) / 2 loses ndtr's relative "
              "accuracy in the lower tail",
    ops.Ndtri: _SPECIAL.format("normal quantile (inverse error)"),
    **{cls: _SPECIAL.format("Bessel") for cls in (
        ops.I0, ops.I1, ops.I0e, ops.I1e, ops.K0, ops.K1, ops.K0e, ops.K1e, ops.J0, ops.J1,
        ops.Y0, ops.Y1)},
    ops.ArgWhere: "the number of its rows depends on the data, and the export fixes every "
                  "length that does not follow a free axis of the inputs",
    ops.ArgPartition: "the order numpy's introselect leaves on each side of the kth entry is "
                      "its own; no ONNX op reproduces it (TopK sorts)",
    ops.Signbit: "ONNX's comparisons cannot read the sign bit of a NaN (inf - inf makes one "
                 "with it set); only BitCast, from opset 26, could",
    # frexp, airy and spherical_bessel_j0 (issue 20, the reference samples)
    **{cls: "np.frexp reads the exponent from the float's bits; ONNX's Log and Floor round "
            "near powers of two and lose subnormals, and only BitCast, from opset 26, "
            "could read the bits" for cls in (ops.Mantissa, ops.Exponent)},
    **{cls: _SPECIAL.format("Airy") for cls in (
        ops.AiryAi, ops.AiryAip, ops.AiryBi, ops.AiryBip)},
    ops.SphericalBesselJ0: _SPECIAL.format("spherical Bessel") + " (the export writes no "
                                                                 "Sin(a) / a formula for it)",
    # af.fft's real-to-real transforms (issue 20, the reference samples)
    ops.Irfftn: "the export writes no DFT: ONNX's DFT op exists from opset 17 (the export "
                "writes opsets from 13) and defines the inverse of a one-sided spectrum "
                "(irfft) only from opset 20",
}

