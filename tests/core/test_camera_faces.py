"""Frame sources, finding faces in any image, and the camera path of 'slrfr identify'."""

import json

import numpy as np
import pytest

from slrfr_gui.faces.camera import FrameSource, write_video
from slrfr_gui.errors import CameraError
from slrfr_gui.faces.find import find_faces, parse_eyes
from slrfr_gui.files.imageio import write_grey


def test_video_file_and_folder_sources(tmp_path):
    rng = np.random.default_rng(0)
    frames = [rng.random((60, 80)) for _ in range(5)]
    video = write_video(tmp_path / "v.avi", frames)
    with FrameSource(video) as source:
        read = list(source)
    assert len(read) == 5 and read[0].shape == (60, 80)
    assert np.abs(read[0] - frames[0]).mean() < 0.1  # MJPG is lossy, but close
    assert source.released
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, f in enumerate(frames[:3]):
        write_grey(folder / f"{i}.png", f)
    (folder / "notes.txt").write_text("not a frame")
    with FrameSource(folder) as source:
        assert len(list(source)) == 3
    looping = FrameSource(folder, loop=True)
    assert all(looping.read() is not None for _ in range(7))
    looping.release()


def test_missing_and_unreadable_sources_say_what_to_do(tmp_path):
    with pytest.raises(CameraError, match="no such camera"):
        FrameSource(tmp_path / "none.avi")
    (tmp_path / "x.avi").write_text("not a video")
    with pytest.raises(CameraError, match="not a video file"):
        FrameSource(tmp_path / "x.avi")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CameraError, match="no file"):
        FrameSource(tmp_path / "empty")
    with pytest.raises(CameraError, match="cannot be opened"):
        FrameSource("97")  # no such device here


def test_parse_eyes():
    assert parse_eyes("30,40,10,41") == ((10.0, 41.0), (30.0, 40.0))
    for bad in ("1,2,3", "a,b,c,d", "5,5,5,5"):
        with pytest.raises(ValueError):
            parse_eyes(bad)


def test_find_faces_modes():
    rng = np.random.default_rng(1)
    small = rng.random((24, 20))
    search = find_faces(small)
    assert search.faces[0].how == "taken as a crop" and "24x20" in search.note
    blank = np.full((300, 400), 0.5)
    search = find_faces(blank)
    assert search.faces == [] and "no face found" in search.note
    # Shaped like the frame and at most 400 pixels: taken as a crop when no face is detected, and said so;
    # larger, or another shape, or in "detect" mode: no face.
    for shape, crop in (((192, 168), True), ((400, 300), True), ((480, 400), False), ((150, 160), False)):
        search = find_faces(np.full(shape, 0.5))
        assert (len(search.faces) == 1) == crop, shape
        assert ("taken as a crop" in search.note) == crop and ("no face" in search.note)
    assert find_faces(np.full((192, 168), 0.5), mode="detect").faces == []
    big = rng.random((300, 400))
    eyes = ((180.0, 120.0), (230.0, 121.0))
    search = find_faces(big, eyes=eyes)
    face = search.faces[0]
    assert face.how == "eyes given"
    # The face is 50/24.9 = 2.0 times the frame: aligned at 48x40, not larger.
    assert face.aligned.shape == (48, 40)
    np.testing.assert_allclose(face.eyes, eyes, atol=1e-6)
    tiny_eyes = ((100.0, 100.0), (110.0, 100.0))  # a face ~16 pixels wide stays ~19x16
    aligned = find_faces(big, eyes=tiny_eyes).faces[0].aligned
    assert aligned.shape[0] < 25 and aligned.shape[1] < 21
    with pytest.raises(ValueError, match="mode"):
        find_faces(big, mode="guess")


def test_cli_camera_json(tmp_path, synthetic_gallery, capsys):
    from slrfr_gui.cli import main

    folder, probes = synthetic_gallery
    model = tmp_path / "m.npz"
    main(["enroll", str(folder), "-o", str(model), "--quiet"])
    frames = [np.clip(0.5 + 0.05 * np.random.default_rng(i).standard_normal((120, 160)), 0, 1) for i in range(3)]
    video = write_video(tmp_path / "v.avi", frames)
    capsys.readouterr()
    assert main(["identify", str(model), "--camera", str(video), "--json", "--frames", "2"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [f["frame"] for f in out["frames"]] == [0, 1] and out["fps"] > 0
    assert all(isinstance(f["faces"], list) for f in out["frames"])
    assert main(["identify", str(model), "--camera", str(tmp_path / "none")]) == 1
    assert "no such camera" in capsys.readouterr().err
    assert main(["identify", str(model)]) == 2


def test_tracker_follows_a_steady_face_without_searching_every_frame():
    from slrfr_gui.faces.find import FaceTracker
    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    import cv2

    face = render_faces(sample_albedos(1, seed=4), light_vector([0], [5]))[0, 0]
    big = cv2.resize(face, (80, 96), interpolation=cv2.INTER_LINEAR)
    rng = np.random.default_rng(0)
    tracker = FaceTracker(search_every=5)
    boxes = []
    for i in range(12):
        frame = np.clip(0.45 + 0.03 * rng.standard_normal((240, 320)), 0, 1)
        frame[60 + i:156 + i, 100 + 2 * i:180 + 2 * i] = big  # drifting slowly
        faces = tracker.update(frame)
        assert len(faces) >= 1
        boxes.append(faces[0].box)
    assert tracker.searches <= 4  # 12 frames, a full search at most every 5
    # The box follows the drift: 11 frames x 2 pixels to the right.
    assert 12 <= boxes[-1][0] - boxes[0][0] <= 32


def test_folder_without_images_and_empty_source_are_errors(tmp_path):
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "a.txt").write_text("no")
    (junk / "b.bin").write_bytes(b"\x00\x01")
    source = FrameSource(junk, loop=True)
    with pytest.raises(CameraError, match="no image that can be read"):
        source.read()
    source.release()
    with pytest.raises(CameraError, match="no camera given"):
        FrameSource("  ")


def test_eyes_outside_the_image_are_refused():
    image = np.random.default_rng(0).random((200, 300))
    with pytest.raises(ValueError, match="outside"):
        find_faces(image, eyes=((-50.0, -50.0), (-10.0, -50.0)))


def test_cli_options_before_probes_and_unknown_faces(tmp_path, synthetic_gallery, capsys):
    from slrfr_gui.cli import main
    from slrfr_gui.faces.frame import degrade

    folder, probes = synthetic_gallery
    model = tmp_path / "m.npz"
    main(["enroll", str(folder), "-o", str(model), "--quiet"])
    write_grey(tmp_path / "p.png", degrade(probes["person3"], (7, 6)))
    capsys.readouterr()
    assert main(["identify", str(model), "--top", "2", str(tmp_path / "p.png"), "--json"]) == 0
    face = json.loads(capsys.readouterr().out)[0]["faces"][0]
    assert face["ranked"][0]["person"] == "person3" and face["unknown"] is False and 0 <= face["ratio"] < 1
    assert main(["identify", str(model), str(tmp_path / "p.png"), "--frames", "3"]) == 2
    big = np.random.default_rng(0).random((200, 300))
    write_grey(tmp_path / "big.png", big)
    assert main(["identify", str(model), str(tmp_path / "big.png"), "--eyes=-50,-50,-10,-50"]) == 1
    assert "outside" in capsys.readouterr().err


def _drifting_face_frames(n, seed=4):
    import cv2

    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    face = render_faces(sample_albedos(1, seed=seed), light_vector([0], [5]))[0, 0]
    big = cv2.resize(face, (80, 96), interpolation=cv2.INTER_LINEAR)
    rng = np.random.default_rng(0)
    for i in range(n):
        frame = np.clip(0.45 + 0.03 * rng.standard_normal((240, 320)), 0, 1)
        d = i // 8
        frame[60 + d:156 + d, 100 + d:180 + d] = big
        yield frame


def test_search_steps_is_detect_faces_one_unit_at_a_time():
    from slrfr_gui.faces.detect import detect_faces, search_steps

    frame = next(_drifting_face_frames(1))
    steps = search_steps(frame)
    units = 0
    try:
        while True:
            next(steps)
            units += 1
    except StopIteration as done:
        stepped = done.value
    whole = detect_faces(frame)
    assert units > 20  # many small units, not one big one
    assert len(whole) == 1
    assert [d.box for d in stepped] == [d.box for d in whole]


def test_a_live_tracker_spreads_the_search_over_frames_and_then_follows_the_face():
    from slrfr_gui.faces.face_search import search_faces
    from slrfr_gui.faces.find import FaceTracker

    frames = list(_drifting_face_frames(400))
    # A budget far below one unit: every frame does exactly one unit of search.
    tracker = FaceTracker(budget_s=1e-9)
    counts, boxes = [], []
    for frame in frames:
        faces = tracker.update(frame)
        counts.append(len(faces))
        boxes.append(faces[0].box if faces else None)
    first = counts.index(1)
    assert first > 40  # the search took many frames (a unit each), none of them a whole search
    assert all(c == 1 for c in counts[first:])  # found, then followed
    # The search ran on the first frame; by the frame where it ended the face had moved
    # first // 8 pixels down and right, and the detection was settled there.
    assert first // 8 >= 5
    for i in (first, len(frames) - 1):
        expected = search_faces(frames[i])[0].box
        assert np.abs(np.subtract(boxes[i], expected)).max() <= 3


def test_a_tracker_refuses_a_bad_budget():
    from slrfr_gui.faces.find import FaceTracker

    for bad in (0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="budget_s"):
            FaceTracker(budget_s=bad)


def test_the_cascade_run_one_scale_at_a_time_gives_detectmultiscale_s_boxes(yale_dir):
    import cv2

    from slrfr_gui.faces import detect
    from slrfr_gui.faces.align import run_steps
    from slrfr_gui.demo.synthetic import pasted_frame
    from slrfr_gui.evaluation.yale import load_yale

    images = load_yale(yale_dir, subjects=[11]).images
    rng = np.random.default_rng(0)
    compared = found = 0
    for image in images[:12]:
        face = cv2.resize(image.astype(np.float32), (168, 192), interpolation=cv2.INTER_CUBIC)
        frame, _ = pasted_frame(face, int(rng.integers(60, 300)), rng, crop_columns=(0, 168))
        image8 = np.clip(frame * 255, 0, 255).astype(np.uint8)
        stepped = run_steps(detect._haar_candidates(image8, 12))
        small = cv2.resize(image8, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
        boxes = detect._CASCADE.detectMultiScale(small, scaleFactor=1.15, minNeighbors=4, minSize=(24, 24))
        expected = sorted((2 * x + w - 0.5, 2 * y + 1.1 * h) for x, y, w, h in boxes)
        got = sorted((p.cx, p.cy) for p in stepped)
        assert np.allclose(got, expected) if expected else got == []
        compared += 1
        found += len(boxes)
    assert compared == 12 and found >= 1


def test_a_tracker_does_not_search_every_frame_of_a_scene_without_a_face():
    from slrfr_gui.faces.find import FaceTracker

    rng = np.random.default_rng(2)
    scene = np.clip(0.45 + 0.05 * rng.standard_normal((240, 320)), 0, 1)
    tracker = FaceTracker(search_every=5)
    for _ in range(12):
        assert tracker.update(scene) == []
    assert tracker.searches == 3  # frames 1, 6 and 11: a whole search every 5 frames, not every frame


def test_align_gives_the_same_face_for_any_input_type():
    from slrfr_gui.faces.align import Placement, align

    rng = np.random.default_rng(3)
    image = rng.random((120, 160))
    placement = Placement(80.3, 60.7, 1.3, 0.05)
    reference = align(image, placement)
    assert reference.dtype == np.float64
    for other in (image.astype(np.float32), np.round(image * 255).astype(np.uint8)):
        face = align(other, placement)
        scale = 1.0 if other.dtype != np.uint8 else 1 / 255.0
        assert face.dtype == np.float64 and face.shape == reference.shape
        assert np.abs(face * scale - reference).max() < 3e-3


def _face_frames():
    """Three 240x320 frames: a face on the left, no face, the face on the right (far from where it was)."""
    import cv2

    from slrfr_gui.demo.synthetic import render_faces, sample_albedos
    from slrfr_gui.evaluation.yale import light_vector

    face = render_faces(sample_albedos(1, seed=4), light_vector([0], [5]))[0, 0]
    big = cv2.resize(face, (80, 96), interpolation=cv2.INTER_LINEAR)
    rng = np.random.default_rng(0)
    frames = [np.clip(0.45 + 0.03 * rng.standard_normal((240, 320)), 0, 1) for _ in range(3)]
    frames[0][60:156, 20:100] = big
    frames[2][80:176, 220:300] = big
    return frames


def test_an_exact_tracker_searches_every_frame_where_no_face_is_followed():
    from slrfr_gui.faces.find import FaceTracker

    frames = _face_frames()
    exact = FaceTracker(exact=True)
    assert [len(exact.update(f)) for f in frames] == [1, 0, 1]
    # A live tracker leaves the third frame to its next periodic search (frame 11).
    live = FaceTracker()
    assert [len(live.update(f)) for f in frames] == [1, 0, 0]
    with pytest.raises(ValueError, match="exact"):
        FaceTracker(exact=True, budget_s=0.004)


def test_cli_camera_folder_finds_a_face_on_every_frame_that_holds_one(tmp_path, synthetic_gallery, capsys):
    from slrfr_gui.cli import main

    model = tmp_path / "m.npz"
    assert main(["enroll", str(synthetic_gallery[0]), "-o", str(model), "--quiet"]) == 0
    folder = tmp_path / "frames"
    folder.mkdir()
    for i, frame in enumerate(_face_frames()):
        write_grey(folder / f"{i}.png", frame)
    capsys.readouterr()
    assert main(["identify", str(model), "--camera", str(folder), "--json"]) == 0
    frames = json.loads(capsys.readouterr().out)["frames"]
    assert [len(f["faces"]) for f in frames] == [1, 0, 1]
