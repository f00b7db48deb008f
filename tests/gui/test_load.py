"""The window stays responsive while the camera identifies continuously against a large gallery."""

import time

import cv2
import numpy as np
from PySide6.QtCore import QTimer

from slrfr_gui.faces.camera import write_video
from slrfr_gui.method.learned import LearnedRelightingClassifier
from slrfr_gui.demo.synthetic import pasted_frame, render_faces, sample_albedos
from slrfr_gui.evaluation.yale import light_vector
from slrfr_gui.gui.camera_view import CameraView


def test_gui_thread_not_held_while_identifying_a_video_against_1000_persons(qtbot, tmp_path):
    faces = render_faces(sample_albedos(1000, seed=9), light_vector([0], [0]))[:, 0]
    model = LearnedRelightingClassifier(resolution=(7, 6)).fit(faces, [f"p{i:04d}" for i in range(1000)])
    rng = np.random.default_rng(4)
    big = cv2.resize(faces[17], (168, 192), interpolation=cv2.INTER_CUBIC)
    frames = [pasted_frame(big, 150, rng, crop_columns=(0, 168))[0] for _ in range(40)]  # 640 x 480, jumping
    video = write_video(tmp_path / "load.avi", frames)

    view = CameraView()
    qtbot.addWidget(view)
    view.show()
    view.set_model(model)
    view.continuous.setChecked(True)
    qtbot.wait(300)  # the first paint is not the camera's doing
    ticks = []
    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    start = time.perf_counter()
    timer.start()
    view.start(str(video))
    qtbot.waitUntil(lambda: view.last is not None and view.last["index"] >= 30, timeout=120_000)
    timer.stop()
    assert view.stop() and not view.running()
    gaps = np.diff([start] + ticks)
    assert len(ticks) > 50
    # Work on the GUI thread (or a worker holding the GIL) would recur with every frame: 30 frames, 30 long
    # gaps. One or two isolated gaps of 50-150 ms are the OS running another process on a loaded 2-core
    # machine (seen once in a fresh-clone CI run, 53 ms, and with a second test run beside this one, 55 ms).
    long = np.sort(gaps[gaps >= 0.05])[::-1]
    assert len(long) <= 2 and gaps.max() < 0.15, (
        f"GUI thread blocked {len(long)} times over 50 ms (longest {gaps.max() * 1000:.0f} ms)")
    print(f"longest GUI gap {gaps.max() * 1000:.1f} ms over {len(ticks)} ticks; {len(long)} over 50 ms")
    # It really identified: ranked persons came back with the frames.
    assert view.last["faces"] and view.last["ranked"]
