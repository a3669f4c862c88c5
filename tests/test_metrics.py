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
