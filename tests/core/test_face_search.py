"""The face search of issue 16: dlib's scan on a thread of its own, its detectors, and following a face."""

import threading

import numpy as np
import pytest

from slrfr_gui.faces import dlib_faces, face_search

pytestmark = pytest.mark.skipif(not dlib_faces.available(), reason="dlib or its landmark model is not installed")


def _demo_scene(width=90, seed=4):
    import cv2

    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    face = render_faces(sample_albedos(1, seed=seed), light_vector([0], [5]))[0, 0]
    big = cv2.resize(face, (width, int(round(1.2 * width))), interpolation=cv2.INTER_LINEAR)
    rng = np.random.default_rng(seed)
    scene = np.clip(0.45 + 0.03 * rng.standard_normal((240, 320)), 0, 1).astype(np.float32)
    scene[60:60 + big.shape[0], 100:100 + width] = big
    return scene


def test_the_scan_thread_finds_what_a_scan_on_the_callers_thread_finds():
    import cv2

    scene = cv2.resize(_demo_scene(), None, fx=2.0, fy=2.0)
    image8 = dlib_faces.to_uint8(scene)
    here = dlib_faces.hog_faces(image8, 0, -0.5)
    there = dlib_faces.hog_faces_async(image8, -0.5).result(timeout=60)
    assert here, "the demo face should be found at dlib's threshold less 0.5"
    assert [box for box, _ in here] == [box for box, _, _ in there]
    assert np.allclose([s for _, s in here], [s for _, s, _ in there])
    for (box, _), (_, _, eyes) in zip(here, there):
        assert np.array_equal(eyes, dlib_faces.eye_centres(image8, box))


def test_threads_scanning_at_once_each_get_a_detector_and_the_same_answer():
    import cv2

    image8 = dlib_faces.to_uint8(cv2.resize(_demo_scene(), None, fx=2.0, fy=2.0))
    alone = dlib_faces.hog_faces(image8, 0, -0.5)
    results, errors = [], []

    def scan():
        try:
            for _ in range(3):
                results.append(dlib_faces.hog_faces(image8, 0, -0.5))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=scan) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 9
    assert all(r == alone for r in results)


def test_search_faces_gives_the_same_faces_step_by_step_and_at_once():
    from slrfr_gui.faces.align import run_steps

    scene = _demo_scene(40)
    whole = face_search.search_faces(scene)
    stepped = run_steps(face_search.search_steps(scene))
    assert len(whole) == 1 and [d.box for d in stepped] == [d.box for d in whole]


def test_a_followed_face_is_kept_by_the_regressors_where_dlib_loses_it(monkeypatch):
    scene = _demo_scene(90)
    found = face_search.search_faces(scene)
    assert len(found) == 1
    face = found[0]
    if face.method != face_search.METHOD_LIBRARY:  # found by the project's own search: followed by its regressors
        assert face_search.follow(scene, face) is not None
        return
    # dlib no longer sees it (as a face whose score dips below the threshold): the regressors keep it.
    monkeypatch.setattr(dlib_faces, "best_face_near", lambda *a, **k: None)
    again = face_search.follow(scene, face)
    assert again is not None and again.method == face_search.METHOD_LIBRARY and again.landmarks is None
    assert np.hypot(again.placement.cx - face.placement.cx, again.placement.cy - face.placement.cy) < 3
    # On a frame where the face is gone, neither keeps it.
    blank = np.clip(0.45 + 0.03 * np.random.default_rng(9).standard_normal(scene.shape), 0, 1).astype(np.float32)
    assert face_search.follow(blank, face) is None


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="no fork on this platform")
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")  # Python 3.12+
def test_a_forked_child_scans_on_a_thread_of_its_own():
    import os

    image8 = np.full((120, 160), 128, np.uint8)
    dlib_faces.hog_faces_async(image8).result(timeout=60)  # the parent's scan thread exists
    pid = os.fork()
    if pid == 0:  # the child: exit 0 only if its own scan completes
        try:
            dlib_faces.hog_faces_async(image8).result(timeout=30)
            os._exit(0)
        except BaseException:  # noqa: BLE001 - any failure is the child's exit status
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_the_scan_threads_processor_time_is_counted_for_the_thread_that_asked():
    import cv2

    image8 = dlib_faces.to_uint8(cv2.resize(_demo_scene(), None, fx=2.0, fy=2.0))
    before = dlib_faces.scan_thread_cpu()
    dlib_faces.hog_faces_async(image8).result(timeout=60)
    assert dlib_faces.scan_thread_cpu() > before
    elsewhere = []
    thread = threading.Thread(target=lambda: elsewhere.append(dlib_faces.scan_thread_cpu()))
    thread.start()
    thread.join()
    assert elsewhere == [0.0]  # a thread that asked for no scan was charged nothing
