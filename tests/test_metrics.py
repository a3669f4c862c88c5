import math

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio

from hwlib.metrics import mse, psnr


def test_psnr_matches_skimage_for_tensors_and_arrays():
    rng = np.random.default_rng(0)
    target = rng.random((16, 12))
    pred = np.clip(target + 0.05 * rng.standard_normal(target.shape), 0, 1)
    expected = peak_signal_noise_ratio(target, pred, data_range=1.0)
    assert psnr(pred, target) == pytest.approx(expected, rel=1e-12)
    assert psnr(torch.from_numpy(pred), torch.from_numpy(target)) == pytest.approx(expected, rel=1e-12)
    expected_255 = peak_signal_noise_ratio(255 * target, 255 * pred, data_range=255)
    assert psnr(255 * pred, 255 * target, data_range=255) == pytest.approx(expected_255, rel=1e-12)


def test_psnr_closed_form_and_float32_input():
    target = torch.zeros(4, 4)
    pred = torch.full((4, 4), 0.1)  # MSE = 0.01 -> 20 dB
    assert mse(pred, target) == pytest.approx(0.01, rel=1e-6)
    assert psnr(pred, target) == pytest.approx(20.0, rel=1e-6)
    assert psnr(target, target) == math.inf


def test_psnr_rejects_bad_input():
    with pytest.raises(ValueError, match="reshape"):
        psnr(torch.zeros(16, 1), torch.zeros(4, 4))
    with pytest.raises(ValueError, match="data_range"):
        psnr(torch.zeros(2), torch.ones(2), data_range=0)
    with pytest.raises(ValueError, match="data_range"):
        psnr(torch.zeros(2), torch.ones(2), data_range=True)
    with pytest.raises(ValueError, match="NaN"):
        psnr(torch.tensor([float("nan")]), torch.zeros(1))
    with pytest.raises(ValueError, match="empty"):
        psnr(np.zeros(0), np.zeros(0))
    with pytest.raises(TypeError, match="real-valued"):
        psnr(np.array(["a"]), np.zeros(1))


def test_mse_is_computed_in_float64_from_float32_input():
    # float32 differences squared and averaged in float32 lose ~1e-7 relative; the float64 route
    # (the float32 values read exactly, then squared in float64) is what mse promises
    g = torch.Generator().manual_seed(0)
    pred = torch.rand(1000, generator=g)
    target = torch.rand(1000, generator=g)
    exact = float(np.mean((pred.numpy().astype(np.float64) - target.numpy().astype(np.float64)) ** 2))
    assert mse(pred, target) == pytest.approx(exact, rel=1e-13, abs=0)
    assert mse(pred.numpy(), target.numpy()) == pytest.approx(exact, rel=1e-13, abs=0)
    assert mse([1, 2], [0, 0]) == 2.5  # integers are read as numbers


def test_metrics_error_messages_name_the_input_and_the_fix():
    with pytest.raises(
        ValueError,
        match=r"^prediction has shape \(16, 1\) but target has shape \(4, 4\); reshape one to the other "
        r"\(e\.g\. prediction\.reshape\(target\.shape\)\) before comparing$",
    ):
        mse(torch.zeros(16, 1), torch.zeros(4, 4))
    with pytest.raises(ValueError, match=r"^cannot compute the error of empty images$"):
        mse(np.zeros(0), np.zeros(0))
    with pytest.raises(
        ValueError, match=r"^prediction or target contains NaN or infinity; check the model's output$"
    ):
        mse(np.zeros(2), np.array([0.0, math.inf]))
    with pytest.raises(TypeError, match=r"^prediction is complex; pass real-valued images$"):
        mse(torch.zeros(2, dtype=torch.complex64), torch.zeros(2))
    with pytest.raises(TypeError, match=r"^target is complex; pass real-valued images$"):
        mse(torch.zeros(2), torch.zeros(2, dtype=torch.complex64))
    with pytest.raises(TypeError, match=r"^target must be a real-valued array or tensor, got dtype <U1$"):
        mse(np.zeros(1), np.array(["a"]))
    with pytest.raises(
        TypeError, match=r"^prediction must be a real-valued array or tensor, got dtype complex128$"
    ):
        mse(np.zeros(1, dtype=complex), np.zeros(1))
    with pytest.raises(
        ValueError, match=r"^data_range must be a positive number \(1\.0 for \[0, 1\] images\), got -1$"
    ):
        psnr(np.zeros(1), np.ones(1), data_range=-1)
