"""Networks the chapters build.

- threshold units (the perceptrons of logic-gate questions), with a truth-table helper
  and an exhaustive search for single-unit solutions;
- an MLP builder (:func:`mlp`);
- SIREN's sine layer with its initialisation, and coordinate MLPs for fitting images;
- hand-written ``Linear``/``ReLU``/``Flatten``/``CrossEntropy`` modules with explicit
  ``forward`` and ``backward`` (no autograd inside), a ``Chain`` container and ``sgd_step``.

**Modules.** :mod:`hwlib.models.threshold` (threshold units), :mod:`hwlib.models.coordinate` (SIREN
and coordinate MLPs), :mod:`hwlib.models.classifiers` (:func:`mlp`),
:mod:`hwlib.models.hand_layers` (the hand-written modules and loss) and
:mod:`hwlib.models.hand_networks` (``Chain``, ``hand_mlp``, ``sgd_step``). Every name is
importable from ``hwlib.models``.
"""

# Every name the single module hwlib.models defined, from its new home (private helpers too: the
# tests and the book call some of them as hwlib.models._name).
from hwlib.models import classifiers, coordinate, threshold
from hwlib.models.classifiers import (
    mlp,
)
from hwlib.models.coordinate import (
    SineLayer,
    coordinate_grid,
    coordinate_mlp,
    siren,
    siren_bound,
)
from hwlib.models.hand_layers import (  # noqa: F401
    CrossEntropy,
    Flatten,
    HandModule,
    Linear,
    ReLU,
    _require_batch,
)
from hwlib.models.hand_networks import (
    Chain,
    hand_mlp,
    sgd_step,
)
from hwlib.models.threshold import (
    ThresholdNetwork,
    all_boolean_functions,
    heaviside,
    single_unit_solutions,
    truth_table,
)

# The data attributes are bound here by assignment, with their docstrings: autodoc reads an attribute's
# docstring in the module it documents (this package), not in the module that defines it.
BINARY_INPUTS = threshold.BINARY_INPUTS
"""The four points of {0, 1}², in truth-table order (A, B) = 00, 01, 10, 11."""
COORDINATE_ACTIVATIONS = coordinate.COORDINATE_ACTIVATIONS
"""The activations :func:`coordinate_mlp` knows."""
MLP_ACTIVATIONS = classifiers.MLP_ACTIVATIONS
"""The activations :func:`mlp` knows by name."""

__all__ = [
    "BINARY_INPUTS",
    "heaviside",
    "ThresholdNetwork",
    "truth_table",
    "single_unit_solutions",
    "all_boolean_functions",
    "COORDINATE_ACTIVATIONS",
    "siren_bound",
    "SineLayer",
    "coordinate_mlp",
    "siren",
    "coordinate_grid",
    "MLP_ACTIVATIONS",
    "mlp",
    "HandModule",
    "Linear",
    "ReLU",
    "Flatten",
    "CrossEntropy",
    "Chain",
    "hand_mlp",
    "sgd_step",
]
