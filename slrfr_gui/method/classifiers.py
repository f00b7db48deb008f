"""Which classifier for which method, by name: the one place the command line, the window and model files choose.

=================================  ==============================================================
:class:`LearnedRelightingClassifier`   SLRFR, the learned relighting (``relighting="learned"``, the default)
:class:`PhysicalRelightingClassifier`  SLRFR, the paper's nine relit images and K-SVD (``relighting="physical"``)
:class:`OutdoorClassifier`             the paper's outdoor variant, section 4.3 (``mode="outdoor"``)
:class:`LRPCANearestNeighbour`         the LR-PCA rival (the evaluation's baseline)
=================================  ==============================================================

Each is one estimator with the contract of :mod:`slrfr_gui.method.base`; a model file names the
class it holds (:data:`ESTIMATORS`), and :func:`make_classifier` makes one from the parameters
the command line and the window collect.
"""

from __future__ import annotations

from .learned import LearnedRelightingClassifier
from .lrpca import LRPCANearestNeighbour
from .outdoor import OutdoorClassifier
from .physical import PhysicalRelightingClassifier

__all__ = ["ESTIMATORS", "LRPCANearestNeighbour", "make_classifier", "slrfr_class"]

#: Every classifier a model file may hold, by the class name it records.
ESTIMATORS = {cls.__name__: cls for cls in (LearnedRelightingClassifier, PhysicalRelightingClassifier,
                                             OutdoorClassifier)}
#: The SLRFR classifier of each relighting.
RELIGHTINGS = {"learned": LearnedRelightingClassifier, "physical": PhysicalRelightingClassifier}


def slrfr_class(relighting: str = "learned"):
    """The SLRFR classifier class of ``relighting`` (``"learned"`` or ``"physical"``).

    Raises
    ------
    ValueError
        Any other relighting.
    """
    try:
        return RELIGHTINGS[relighting]
    except (KeyError, TypeError):
        raise ValueError(f"relighting must be 'learned' or 'physical', got {relighting!r}") from None


def make_classifier(mode: str = "slrfr", relighting: str = "learned", **params):
    """A classifier for ``mode`` and ``relighting``, from the parameters of any of them.

    ``mode="slrfr"`` (the default) gives :class:`LearnedRelightingClassifier` or, with
    ``relighting="physical"``, :class:`PhysicalRelightingClassifier`; ``mode="outdoor"`` gives
    :class:`OutdoorClassifier`. Parameters the chosen classifier does not take (those of the other
    relighting or mode, as the window's and the command line's forms collect them) are ignored.

    Raises
    ------
    ValueError
        Unknown mode or relighting.
    """
    if mode == "slrfr":
        cls = slrfr_class(relighting)
    elif mode == "outdoor":
        cls = OutdoorClassifier
    else:
        raise ValueError(f"unknown classifier mode {mode!r}; known: slrfr, outdoor")
    names = set(cls._param_names())
    return cls(**{k: v for k, v in params.items() if k in names})
