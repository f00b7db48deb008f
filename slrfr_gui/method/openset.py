"""Open-set identification: saying "unknown" when no enrolled person fits.

The score of a probe is the ratio of its smallest residual to its second
smallest (``margin_ratio``): near 1 when the best person is no better than the
next, small when one person clearly explains the probe. A probe whose ratio
exceeds the threshold is "unknown". The threshold is calibrated on training
subjects, never on the gallery (``scripts/calibrate_unknown.py`` writes the
shipped defaults to ``resources/openset.json``), at a target FPIR: the
fraction of probes of persons *not* enrolled that are still given a name
(ISO/IEC 19795-1).
"""

from __future__ import annotations

import json

import numpy as np

from ..faces.frame import check_resolution, format_resolution


#: Said wherever a decision is shown for a gallery of one person: the ratio needs a second person.
ONE_PERSON_NOTE = ("only one person is enrolled, so whether the probe is someone else cannot be judged (the unknown"
                   " test compares the best match with the second); enrol two or more persons")


def margin_ratio(residuals: np.ndarray) -> np.ndarray:
    """r_(1) / r_(2) for each probe, in [0, 1].

    Parameters
    ----------
    residuals : ndarray of shape (n_probes, n_persons)
        Normalised residuals (in [0, 1]); with one person the second residual
        is taken as 1 (the residual of a probe no person explains).

    Returns
    -------
    ndarray of shape (n_probes,), float64
    """
    res = np.atleast_2d(np.asarray(residuals, dtype=np.float64))
    if res.shape[1] == 0:
        return np.ones(len(res))
    if res.shape[1] == 1:
        return np.clip(res[:, 0], 0.0, 1.0)
    two = np.partition(res, 1, axis=1)[:, :2]
    return np.where(two[:, 1] > 0, two[:, 0] / np.maximum(two[:, 1], 1e-300), 1.0)


def threshold_at_fpir(nonmated_scores: np.ndarray, fpir: float) -> float:
    """The largest ratio threshold that names at most ``fpir`` of non-mated probes.

    A probe is named when its score is <= the threshold; non-mated probes are
    probes of persons who are not enrolled.
    """
    scores = np.sort(np.asarray(nonmated_scores, dtype=np.float64))
    if scores.size == 0:
        raise ValueError("no non-mated scores to calibrate on")
    k = int(np.floor(fpir * scores.size))
    return float(scores[k] - 1e-12) if k < scores.size else float(scores[-1])


def fnir_at(threshold: float, mated_scores, mated_correct) -> float:
    """FNIR: fraction of mated probes not named correctly (rejected, or named wrongly)."""
    scores = np.asarray(mated_scores)
    correct = np.asarray(mated_correct, dtype=bool)
    return float(np.mean(~(correct & (scores <= threshold))))


class OpenSetDefaults:
    """Thresholds calibrated per resolution, interpolated in log pixel count between them.

    ``thresholds`` serve models scored by the learned relighting (galleries in
    the canonical frame); ``crop_thresholds``, when given, serve models scored
    by the generic metric (galleries framed otherwise,
    :attr:`SLRFRClassifier.framing_regime` ``"crop"``), whose ratios are
    distributed differently.
    """

    def __init__(self, thresholds: dict, fpir: float, description: str = "", crop_thresholds: dict | None = None):
        self.fpir = float(fpir)
        self.description = description
        self._curves = {"canonical": self._curve(thresholds)}
        if crop_thresholds:
            self._curves["crop"] = self._curve(crop_thresholds)
        self.thresholds = {k: float(v) for k, v in thresholds.items()}
        self.crop_thresholds = {k: float(v) for k, v in (crop_thresholds or {}).items()}

    @staticmethod
    def _curve(thresholds: dict):
        if not thresholds:
            raise ValueError("no thresholds")
        for key, value in thresholds.items():  # JSON's true/false are ints to Python: not thresholds
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 < value <= 1.0:
                raise ValueError(f"threshold of {key} is {value!r}, not a ratio in (0, 1]")
        points = sorted((np.log(r * c), t) for (r, c), t in
                        ((check_resolution(k.split("x")), v) for k, v in thresholds.items()))
        return np.array([p[0] for p in points]), np.array([p[1] for p in points])

    def threshold(self, resolution, regime: str = "canonical") -> float:
        """The default "unknown" threshold for a probe resolution and a model's framing regime
        (``"canonical"`` or ``"crop"``; the canonical curve when no crop curve is calibrated)."""
        r, c = check_resolution(resolution)
        x, t = self._curves.get(regime, self._curves["canonical"])
        return float(np.interp(np.log(r * c), x, t))

    @classmethod
    def load(cls, path=None) -> "OpenSetDefaults":
        """Read ``resources/openset.json`` (or ``path``); a neutral default if it is missing or damaged."""
        from ..files.resources import resource_path

        try:
            data = json.loads((path or resource_path("openset.json")).read_text())
            return cls(data["thresholds"], data["fpir"], data.get("description", ""), data.get("crop_thresholds"))
        except Exception:  # noqa: BLE001 - a missing calibration must never stop the application
            return cls({format_resolution((7, 6)): 0.8}, 0.1, "uncalibrated fallback")
