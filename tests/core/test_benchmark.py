import numpy as np

import slrfr_gui.evaluation.benchmark as bench


def test_benchmark_times_every_stage_and_checks_itself(monkeypatch):
    monkeypatch.setattr(bench, "MEMORY_BUDGET_MB", 5)  # the 10,000-person model (6.7 MB) is skipped
    out = bench.run_benchmark((7, 6), sizes=(38, 1000, 10_000), repeat=2, webcam=False)
    stages = out["stages"]
    assert {"relight_image", "enroll_person", "enroll_38", "identify_38", "identify_1k", "identify_10k",
            "batch_10k_vs_1k"} <= set(stages)
    for name in ("relight_image", "enroll_person", "identify_1k", "batch_10k_vs_1k"):
        st = stages[name].to_json()
        assert st["median_s"] > 0 and st["limit_s"] > 0 and st["runs"] >= 2
    # The paper's per-person projector loop is the reference of small galleries, and slower.
    assert stages["identify_1k"].reference_s > stages["identify_1k"].median_s
    skipped = stages["identify_10k"].to_json()
    assert skipped["median_s"] is None and "over the 5 MB" in skipped["skipped"]
    assert stages["identify_1k"].extra["model_mb"] > 0 and out["machine"]["gemm_gflops"] > 0


def test_random_timing_model_of_the_learned_relighting_has_five_references_a_person():
    """One gallery image and its four moved copies (the alignment search), as a real enrolment has."""
    clf = bench._random_model(5, (7, 6), np.random.default_rng(0))
    assert clf.relighting == "learned" and clf.bases_.shape == (42, 25)
    assert list(clf.basis_offsets_) == [0, 5, 10, 15, 20, 25]
    assert clf.residuals(np.full((2, 7, 6), 0.5)).shape == (2, 5)


def test_random_timing_model_of_the_paper_has_orthonormal_person_bases():
    clf = bench._random_model(5, (7, 6), np.random.default_rng(0), "physical")
    for cluster in (clf.bases_, clf.cluster_bases(0), clf.cluster_bases(3)):
        for a, b in zip(clf.basis_offsets_[:-1], clf.basis_offsets_[1:]):
            q = cluster[:, a:b]
            np.testing.assert_allclose(q.T @ q, np.eye(b - a), atol=1e-10)
    assert clf.residuals(np.full((1, 7, 6), 0.5)).shape == (1, 5)


def test_a_stage_median_leaves_out_the_first_call():
    """The first call pays for what is read and cached once; with --repeat 3 it was the median."""
    from slrfr_gui.evaluation.benchmark import _median_time

    calls = []

    def stage():
        calls.append(1)
        return sum(range(100_000 if len(calls) == 1 else 10))

    import time

    slow = []

    def timed():
        t = time.perf_counter()
        if not slow:
            time.sleep(0.2)
            slow.append(1)
        return time.perf_counter() - t

    median, runs = _median_time(timed, 3)
    assert runs == 3 and median < 0.1
    _median_time(stage, 1)
    assert len(calls) == 1  # a single run is not doubled
