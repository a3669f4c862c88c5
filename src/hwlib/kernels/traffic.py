"""The analytic model of a matmul's global-memory traffic: :func:`~hwlib.kernels.matmul_global_loads`.

How many elements the naive and the tiled kernels load for an ``(M, K) @ (K, N)`` product, as a
:class:`~hwlib.kernels.MatmulLoads` record; pure arithmetic, no kernel is run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class MatmulLoads:
    """Global-memory loads of an ``(M, K) @ (K, N)`` product, in elements.

    ``naive`` and ``tiled`` count the loads the two kernels issue; ``minimum`` is
    each input read exactly once (``M*K + K*N``), the floor for any kernel.
    Multiply by the element size for bytes. Stores (``M*N`` elements for every
    kernel) are not counted.
    """

    m: int
    n: int
    k: int
    block_m: int
    block_n: int
    naive: int
    tiled: int
    minimum: int

    @property
    def ratio(self) -> float:
        """How many times more elements the naive kernel loads than the tiled one."""
        return self.naive / self.tiled

    def as_row(self) -> dict:
        """The counts as one table row (for :class:`hwlib.plotting.Table`)."""
        return {
            "M": self.m,
            "N": self.n,
            "K": self.k,
            "tile": f"{self.block_m}x{self.block_n}",
            "naive loads": self.naive,
            "tiled loads": self.tiled,
            "minimum": self.minimum,
            "naive / tiled": self.ratio,
        }


def matmul_global_loads(m: int, n: int, k: int, block_m: int = 64, block_n: int = 64) -> MatmulLoads:
    """Count the elements the naive and tiled matmul kernels load from global memory.

    The model (the kernels in this module follow it exactly):

    * naive, one program per output element: each of the ``M*N`` programs loads a
      row of A and a column of B, ``2*K`` elements, so ``2*M*N*K`` in all;
    * tiled, one program per ``block_m x block_n`` tile: each of the
      ``ceil(M/block_m) * ceil(N/block_n)`` programs loads a ``block_m x K`` strip
      of A and a ``K x block_n`` strip of B, ``K*(block_m + block_n)`` elements.
      Edge tiles load full strips too (their rows past the edge re-read valid
      rows and are discarded at the store). For sizes that are multiples of the
      blocks this is ``M*N*K*(1/block_n + 1/block_m)``: ``block_m`` times fewer than
      naive for square tiles.

    Loads served by a cache still count: this is the traffic the kernel *asks*
    for, which the hardware must satisfy from DRAM whenever the caches cannot.
    """
    for name, v in (("m", m), ("n", n), ("k", k), ("block_m", block_m), ("block_n", block_n)):
        if not isinstance(v, int) or isinstance(v, bool) or v < 1:
            raise ValueError(f"{name} must be a positive int, got {v!r}")
    tiles = math.ceil(m / block_m) * math.ceil(n / block_n)
    return MatmulLoads(
        m=m,
        n=n,
        k=k,
        block_m=block_m,
        block_n=block_n,
        naive=2 * m * n * k,
        tiled=tiles * k * (block_m + block_n),
        minimum=m * k + k * n,
    )
