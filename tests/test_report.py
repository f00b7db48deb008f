import json

import numpy as np
import pytest

from slrfr_gui.cli import main
from slrfr_gui.errors import SLRFRError
from slrfr_gui.cli.report import write_report


def _result(method, size, rank1):
    cmc = list(np.minimum(1.0, rank1 + np.arange(10) * 0.05))
    return {"method": method, "resolution": size, "rank1": rank1, "rank1_min": rank1 - 0.05,
            "subsets": {"S1": 0.9, "S2": 0.8, "S3": 0.6, "S4": 0.4, "S5": 0.1}, "subsets_min": {}, "cmc": cmc,
            "runs": 38}


def test_report_writes_both_plots_and_a_page(tmp_path):
    results = [_result(m, s, r) for m, base in (("SLRFR", 0.6), ("LR-PCA", 0.2), ("SLRFR -metric", 0.5))
               for s, r in (("7x6", base), ("12x10", base + 0.1))]
    results[0]["open_set"] = {"0.01": {"threshold": 0.7, "fpir": 0.02, "fnir": 0.6},
                              "0.1": {"threshold": 0.8, "fpir": 0.11, "fnir": 0.5}}
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"protocol": "yaleb-lr-v1", "results": results, "seconds": 12.0, "notes": []}))
    written = write_report(path, tmp_path / "out")
    names = sorted(p.name for p in written)
    assert names == ["cmc_7x6.png", "rank1_vs_size.png", "results.md"]
    for p in written[:2]:
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000
    page = (tmp_path / "out" / "results.md").read_text()
    assert "| SLRFR | 60.0 | 70.0 |" in page
    assert "| SLRFR -metric | 50.0 (-10.0) | 60.0 (-10.0) |" in page  # ablation: change against SLRFR
    assert "| 7x6 | 0.1 | 0.800 | 11.0 | 50.0 |" in page


def test_report_refuses_a_file_that_is_not_an_evaluation(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SLRFRError, match="not JSON"):
        write_report(bad, tmp_path / "out")
    bad.write_text(json.dumps({"results": []}))
    assert main(["report", str(bad), "-o", str(tmp_path / "out")]) == 1
    assert "no results" in capsys.readouterr().err


@pytest.mark.parametrize("change", [
    lambda r: r.pop("resolution"),
    lambda r: r.update(cmc=None),
    lambda r: r.update(cmc=[0.5]),
    lambda r: r.update(rank1="high"),
    lambda r: r.update(rank1=float("nan")),
    lambda r: r.update(resolution="abc"),
    lambda r: r.pop("subsets"),
    lambda r: r.update(open_set={"0.1": {"fpir": 0.1}}),
], ids=["no-resolution", "cmc-null", "cmc-short", "rank1-string", "rank1-nan", "resolution-abc", "no-subsets",
        "open-set-partial"])
def test_malformed_results_give_one_line_and_write_nothing(tmp_path, capsys, change):
    """Found by a tester: each of these gave a traceback, some after writing half the report."""
    result = _result("SLRFR", "7x6", 0.6)
    change(result)
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"results": [result]}))
    assert main(["report", str(path), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("slrfr: error:") and "r.json" in err and "\n" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_report_refuses_a_file_as_output_folder(tmp_path):
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"results": [_result("SLRFR", "7x6", 0.6)]}))
    (tmp_path / "ro").write_text("")
    with pytest.raises(SLRFRError, match="is a file, not a folder"):
        write_report(path, tmp_path / "ro")
    (tmp_path / "out" / "results.md").mkdir(parents=True)
    with pytest.raises(SLRFRError, match="is a folder"):
        write_report(path, tmp_path / "out")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["results.md"]


def test_report_puts_two_protocols_on_one_page(tmp_path):
    yale = [_result(m, s, r) for m, r in (("SLRFR", 0.7), ("LR-PCA", 0.2)) for s in ("7x6", "12x10")]
    cross = [dict(_result(m, s, r), subsets={}, runs=1) for m, r in (("SLRFR", 0.5), ("NC-NN", 0.4),
                                                                       ("SLRFR physical", 0.35),
                                                                       ("SLRFR before cross-v1", 0.3))
             for s in ("7x6", "12x10")]
    cross[0]["open_set"] = {"0.1": {"threshold": 0.81, "fpir": 0.13, "fnir": 0.64}}
    a, b = tmp_path / "yale.json", tmp_path / "cross.json"
    a.write_text(json.dumps({"protocol": "yaleb-lr-v1", "results": yale, "seconds": 100.0, "notes": []}))
    b.write_text(json.dumps({"protocol": "cross-v1", "results": cross, "seconds": 10.0, "notes": ["50 persons"]}))
    assert main(["report", str(a), str(b), "-o", str(tmp_path / "out")]) == 0
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["cmc_7x6.png", "cross-v1_cmc_7x6.png", "cross-v1_rank1_vs_size.png", "rank1_vs_size.png",
                     "results.md"]
    page = (tmp_path / "out" / "results.md").read_text()
    assert page.index("## Results: `yaleb-lr-v1`") < page.index("## Results: `cross-v1`")
    cross_part = page[page.index("## Results: `cross-v1`"):]
    assert "| SLRFR | 50.0 | 50.0 |" in cross_part and "| NC-NN | 40.0 | 40.0 |" in cross_part
    assert "By lighting subset" not in cross_part and "one run" in cross_part
    assert "| SLRFR before cross-v1 | 30.0 (-20.0) | 30.0 (-20.0) |" in cross_part
    assert "SLRFR physical | 35.0 (" not in cross_part  # a rival on cross-v1, not an ablation
    assert "| 7x6 | 0.1 | 0.810 | 13.0 | 64.0 |" in cross_part
    assert "](cross-v1_cmc_7x6.png)" in cross_part and "- 50 persons" in cross_part
