"""Image-quality metrics.

:func:`psnr` is the peak signal-to-noise ratio the image-fitting chapters report, in decibels:
``10 * log10(data_range**2 / MSE)``. Every 10 dB is a tenfold smaller mean squared error, so
"5 dB better" means a mean squared error about 3.2 times smaller. :func:`mse` is the mean
squared error it is built on.
"""

from __future__ import annotations

import math

import numpy as np
import torch


def _as_float64(value, name: str) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        if value.is_complex():
            raise TypeError(f"{name} is complex; pass real-valued images")
        return value.detach().cpu().to(torch.float64).numpy()
    arr = np.asarray(value)
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must be a real-valued array or tensor, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def mse(prediction, target) -> float:
    """Mean squared error between two images (arrays or tensors of the same shape), in float64.

    Shapes must match exactly: a ``(H, W)`` image against a network's flat ``(H * W, 1)`` output
    is an error, not a silent broadcast; reshape one of them first.
    """
    pred = _as_float64(prediction, "prediction")
    targ = _as_float64(target, "target")
    if pred.shape != targ.shape:
        raise ValueError(
            f"prediction has shape {pred.shape} but target has shape {targ.shape}; "
            "reshape one to the other (e.g. prediction.reshape(target.shape)) before comparing"
        )
    if pred.size == 0:
        raise ValueError("cannot compute the error of empty images")
    if not (np.all(np.isfinite(pred)) and np.all(np.isfinite(targ))):
        raise ValueError("prediction or target contains NaN or infinity; check the model's output")
    return float(np.mean((pred - targ) ** 2))


def psnr(prediction, target, data_range: float = 1.0) -> float:
    """Peak signal-to-noise ratio ``10 * log10(data_range**2 / MSE)`` in dB (higher is better).

    ``data_range`` is the span of possible pixel values: 1.0 for images in [0, 1], 255 for 8-bit
    images. Identical images give ``inf``. Computed in float64 whatever the input dtype; agrees
    with ``skimage.metrics.peak_signal_noise_ratio(target, prediction, data_range=data_range)``.
    """
    if isinstance(data_range, bool) or not isinstance(data_range, (int, float)) or not data_range > 0:
        raise ValueError(f"data_range must be a positive number (1.0 for [0, 1] images), got {data_range!r}")
    err = mse(prediction, target)
    if err == 0.0:
        return math.inf
    return 10.0 * math.log10(float(data_range) ** 2 / err)
