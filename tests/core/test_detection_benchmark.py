"""The face detection benchmark: how detections are matched and scored, its table, its page."""

import json
from pathlib import Path

import numpy as np
import pytest

from slrfr_gui.evaluation.detect_benchmark import Found, Truth, _matches, eye_error

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def test_matching_is_one_to_one_and_ignores_faces_of_the_background():
    faces = [Truth((100, 100, 40, 40)), Truth((300, 100, 40, 40))]
    found = [Found((105, 98, 36, 36)), Found((102, 104, 30, 30)), Found((500, 400, 40, 40)),
             Found((100, 100, 300, 300)), Found((600, 10, 20, 20))]
    hits, extra = _matches(found, faces, ignore=[(590, 0, 40, 40)])
    assert hits == [0, None]  # one detection per face; a box 7 times the face's is not it
    assert extra == [1, 2, 3]  # the second box on face 1 is a false detection; the ignored face is not


def test_eye_error_is_the_larger_error_over_the_eye_distance():
    truth = np.array([[100.0, 50.0], [120.0, 50.0]])
    assert eye_error(truth, truth) == 0
    assert eye_error(truth + [[1.0, 0.0], [0.0, 2.0]], truth) == pytest.approx(0.1)


def test_table_and_results_page(tmp_path):
    from slrfr_gui.cli.report import detection_table, write_report

    row = {"detector": "d1", "set": "photos", "recall": 0.5, "false_per_image": 0.25, "dogs": 1,
           "eye_error_median": 0.05, "ms_median": 12.0}
    data = {"rows": [row, {**row, "set": "yale_pasted", "dogs": None}], "recall_by_width": {"d1": {"16": [1, 2]}},
            "twelve_megapixel_s": {"d1": [0.8, 0.5]}, "load_before": [1, 1, 1], "load_after": [1, 1, 1], "cpus": 2,
            "sets": {"photos": 12}, "not_measured": {"X": "why"}, "command": "slrfr detection-benchmark"}
    text = detection_table(data)
    assert "d1" in text and "50.0" in text and "16 px 1/2" in text and "not measured: X: why" in text
    (tmp_path / "d.json").write_text(json.dumps(data))
    results = {"protocol": "p", "results": [{"method": "SLRFR", "resolution": "7x6", "rank1": 0.5, "rank1_min": 0.4,
                                             "cmc": [0.5] * 10, "subsets": {"S1": 0.5}}]}
    (tmp_path / "r.json").write_text(json.dumps(results))
    write_report(tmp_path / "r.json", tmp_path / "out", detection=tmp_path / "d.json")
    page = (tmp_path / "out" / "results.md").read_text()
    assert "## Face detection on photographs" in page and "| d1 | 50.0 | 0.25 | 1 | 0.050 |" in page


def test_on_the_real_photos_every_face_is_found_and_none_on_the_dogs():
    """photos/ is a check set (nothing is learned from it): a regression guard, not a tuning target."""
    from slrfr_gui.evaluation.detect_benchmark import photo_cases, run_detection_benchmark

    if not (DATA / "photos" / "faces.json").is_file():
        pytest.skip(f"photos/ not found at {DATA / 'photos'}")
    result = run_detection_benchmark(DATA, ["slrfr search"], per_width=1, gt_per_person=1)
    photos = next(r for r in result["rows"] if r["set"] == "photos")
    assert photos["found"] >= 41 and photos["dogs"] == 0 and photos["false_per_image"] <= 0.1
    assert photos["eye_error_median"] <= 0.1
    assert len(photo_cases(DATA / "photos")) == 12
