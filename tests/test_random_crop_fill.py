"""random_crop's fill: the uncovered frame takes the given (per-channel) value, the image is untouched."""

import pytest
import torch

from hwlib.data import Augment, random_crop


def test_the_frame_takes_the_fill_and_the_pixels_move_unchanged():
    x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).reshape(2, 3, 5, 5) + 100.0
    fill = [-1.0, -2.0, -3.0]
    g = torch.Generator().manual_seed(0)
    out = random_crop(x, padding=2, generator=g, fill=fill)
    offsets = torch.randint(0, 5, (2, 2), generator=torch.Generator().manual_seed(0))
    for i in range(2):
        # reference by hand: shift image i by (offset - padding), filling per channel
        ref = torch.tensor(fill).view(3, 1, 1).expand(3, 9, 9).clone()
        ref[:, 2:7, 2:7] = x[i]
        r, c = offsets[i].tolist()
        assert torch.equal(out[i], ref[:, r : r + 5, c : c + 5])
    assert set(out[out < 100].tolist()) <= set(fill)


def test_a_scalar_fill_and_the_default_zero():
    x = torch.ones(4, 1, 3, 3)
    out = random_crop(x, padding=3, generator=torch.Generator().manual_seed(1), fill=7.0)
    assert set(out.unique().tolist()) <= {1.0, 7.0} and (out == 7.0).any()
    out0 = random_crop(x, padding=3, generator=torch.Generator().manual_seed(1))
    assert torch.equal(out0 == 0, out == 7.0)


def test_a_fill_of_the_wrong_length_names_the_channels():
    with pytest.raises(ValueError, match="one per channel"):
        random_crop(torch.ones(1, 3, 4, 4), padding=1, fill=[0.0, 1.0])


def test_augment_passes_its_fill_on():
    batch = torch.ones(8, 1, 4, 4)
    out = Augment(padding=2, flip=False, seed=3, fill=-5.0)(batch)
    assert set(out.unique().tolist()) <= {1.0, -5.0} and (out == -5.0).any()
