"""The benchmark's bookkeeping, checked by hand and against an independent computation."""

import numpy as np
import pytest

from slrfr_gui.evaluation.evaluate import _aggregate, _run_figures, evaluate_yaleb, folds, true_ranks
from slrfr_gui.faces.frame import degrade
from slrfr_gui.evaluation.yale import light_angle, load_yale, parse_name, subset_index


def test_true_ranks_by_hand():
    residuals = np.array([[0.1, 0.5, 0.3], [0.4, 0.2, 0.9], [0.3, 0.3, 0.1]])
    classes = np.array([1, 2, 3])
    # probe 0 is person 1 (rank 1); probe 1 is person 3 (rank 3); probe 2 is person 2, tied with 1 (rank 3).
    np.testing.assert_array_equal(true_ranks(residuals, classes, np.array([1, 3, 2])), [1, 3, 3])


def test_run_figures_and_aggregation_by_hand():
    run1 = _run_figures(np.array([1, 1, 2, 5]), np.array([0, 0, 1, 4]))
    run2 = _run_figures(np.array([1, 3, 1, 1]), np.array([0, 0, 1, 4]))
    assert run1["rank1"] == 0.5 and run2["rank1"] == 0.75
    assert run1["S1"] == 1.0 and run1["S2"] == 0.0 and np.isnan(run1["S3"])
    assert run1["S1-S3"] == pytest.approx(2 / 3) and run2["S1-S3"] == pytest.approx(2 / 3)  # pooled, not averaged
    assert run1["cmc"][:5] == [0.5, 0.75, 0.75, 0.75, 1.0]
    result = _aggregate("X", (7, 6), [run1, run2], "")
    assert result.rank1 == pytest.approx(0.625)
    assert result.rank1_min == 0.5
    assert result.subsets["S1"] == pytest.approx(0.75) and result.subsets_min["S1"] == 0.5
    assert result.subsets["S3"] is None
    assert result.subsets["S1-S3"] == pytest.approx(2 / 3) and result.subsets_min["S1-S3"] == pytest.approx(2 / 3)
    assert result.cmc[1] == pytest.approx(0.75) and result.cmc[2] == pytest.approx((0.75 + 1.0) / 2)


def test_names_subsets_and_folds():
    assert parse_name("yaleB01_P00A-005E+10.pgm") == (1, -5, 10)
    assert parse_name("yaleB11_P00_Ambient.pgm") is None
    assert parse_name("yaleB11_P00A+050E-40.pgm.bad") is None
    assert light_angle(0, 0) == 0
    np.testing.assert_array_equal(subset_index([0, 20, 0, 60, 110], [0, 0, 45, 0, 15]), [0, 1, 2, 3, 4])
    assert light_angle(-35, 40) == pytest.approx(51.1, abs=0.1)  # S3
    ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15] + list(range(16, 40))
    (a, b), (b2, a2) = folds(ids)
    assert list(a) == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20]
    assert list(b) == list(range(21, 40)) and list(a2) == list(a)


def test_loader_skips_the_quirks(yale_dir):
    yale = load_yale(yale_dir, subjects=[11])
    names = {p.name for p, _ in yale.skipped}
    assert "yaleB11_P00_Ambient.pgm" in names and "WS_FTP.LOG" in names
    assert any(n.endswith(".pgm.bad") for n in names)
    assert yale.images.shape[1:] == (48, 40) and len(yale.images) == 60  # 64 less four damaged


def test_loader_reads_another_face_set_in_the_same_layout(tmp_path):
    """Three-digit subjects, PNG files and another image size: resized to 192x168, then the protocol's crop."""
    from PIL import Image

    from slrfr_gui.faces.frame import yale_crop

    rows, cols = np.mgrid[0:192, 0:168]
    full = 0.2 + 0.6 * (rows / 191.0) * (cols / 167.0)  # smooth, so resizing down and back up changes little
    folder = tmp_path / "set" / "yaleB101"
    folder.mkdir(parents=True)
    small = Image.fromarray(np.round(full * 255).astype(np.uint8)).resize((84, 96), Image.BOX)
    small.save(folder / "yaleB101_P00A+000E+00.png")
    Image.fromarray(np.round(full * 255).astype(np.uint8)).save(folder / "yaleB101_P00A+010E+00.pgm")
    yale = load_yale(tmp_path / "set")
    assert list(yale.subjects) == [101, 101] and list(yale.azimuth) == [0, 10]
    assert yale.resized == 1 and yale.select([True, False]).resized == 1
    np.testing.assert_allclose(yale.images[0], yale_crop(full), atol=0.01)
    np.testing.assert_allclose(yale.images[1], yale_crop(full), atol=0.5 / 255)


def test_evaluate_on_four_subjects_matches_an_independent_computation(yale_dir):
    """With two gallery persons, LR-PCA is plain nearest neighbour on the degraded images."""
    yale = load_yale(yale_dir, subjects=[1, 2, 3, 4])
    result = evaluate_yaleb(yale, resolutions=[(7, 6)])
    lrpca = next(r for r in result.results if r.method == "LR-PCA")
    slrfr = next(r for r in result.results if r.method == "SLRFR")
    assert lrpca.runs == slrfr.runs == 38

    lr = degrade(yale.images, (7, 6)).reshape(len(yale.images), -1)
    directions = sorted({(a, e) for a, e in zip(yale.azimuth, yale.elevation) if light_angle(a, e) <= 25.5})
    rates = []
    for test in ([3, 4], [1, 2]):
        for a, e in directions:
            gal = np.flatnonzero(np.isin(yale.subjects, test) & (yale.azimuth == a) & (yale.elevation == e))
            probes = np.flatnonzero(np.isin(yale.subjects, test))
            probes = probes[~np.isin(probes, gal)]
            dist = np.linalg.norm(lr[probes][:, None] - lr[gal][None], axis=2)
            rates.append(np.mean(yale.subjects[gal][np.argmin(dist, axis=1)] == yale.subjects[probes]))
    assert lrpca.rank1 == pytest.approx(np.mean(rates), abs=1e-12)
    assert lrpca.rank1_min == pytest.approx(np.min(rates), abs=1e-12)
    # Two persons: SLRFR must be far better than chance and than the baseline.
    assert slrfr.rank1 > max(0.75, lrpca.rank1)
    assert slrfr.cmc[1] == pytest.approx(1.0)


def test_evaluate_on_few_subjects_or_a_missing_gallery_light_skips_with_notes(yale_dir):
    """Four subjects are too few for the open set; a light no test subject has leaves its run out."""
    yale = load_yale(yale_dir, subjects=[1, 2, 3, 4])
    result = evaluate_yaleb(yale, resolutions=[(7, 6)], methods=["SLRFR"], open_set=True)
    assert result.results[0].runs == 38 and not result.results[0].open_set
    assert any("open set skipped" in n for n in result.notes)
    gone = np.isin(yale.subjects, [3, 4]) & (yale.azimuth == -10) & (yale.elevation == 0)
    result = evaluate_yaleb(yale.select(~gone), resolutions=[(7, 6)], methods=["SLRFR"])
    assert result.results[0].runs == 37
    assert any("A-010E+00: fewer than two test subjects" in n for n in result.notes)


def test_evaluate_rejects_unknown_protocol_and_method(tmp_path):
    with pytest.raises(ValueError, match="protocol"):
        evaluate_yaleb(tmp_path, protocol="nope")
    with pytest.raises(ValueError, match="method"):
        evaluate_yaleb(tmp_path, methods=["magic"])


def test_evaluate_runs_every_rival_ablation_and_the_open_set(yale_dir):
    """Six subjects (three per fold): every method gives figures, SLRFR's open-set thresholds come out ordered."""
    from slrfr_gui.evaluation.evaluate import ABLATIONS, BASELINES

    yale = load_yale(yale_dir, subjects=[1, 2, 3, 21, 22, 23])
    methods = ["SLRFR", *BASELINES, *ABLATIONS]
    result = evaluate_yaleb(yale, resolutions=[(7, 6)], methods=methods, open_set=True)
    assert [r.method for r in result.results] == methods
    for r in result.results:
        assert 0.0 <= r.rank1 <= 1.0 and r.runs == 38
        assert r.cmc[-1] == pytest.approx(1.0)  # three persons: the truth is always within rank 3
        assert all(a <= b + 1e-12 for a, b in zip(r.cmc, r.cmc[1:]))
    slrfr = result.results[0]
    assert set(slrfr.open_set) == {"0.01", "0.1"}
    assert slrfr.open_set["0.01"]["threshold"] <= slrfr.open_set["0.1"]["threshold"]
    assert 0.0 <= slrfr.open_set["0.1"]["fnir"] <= 1.0
    # Switching every addition off gives back the paper's plain version, which is worse here.
    paper = next(r for r in result.results if r.method == "SLRFR paper")
    assert slrfr.rank1 > paper.rank1
    assert "metric" in result.stage_seconds and "open_set" in result.stage_seconds
