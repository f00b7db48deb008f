"""Issue 15, item 16: the README's script commands work as written on a machine without the data."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_make_test_video_without_the_data_writes_a_fictional_face(tmp_path):
    out = subprocess.run([sys.executable, "scripts/make_test_video.py", str(tmp_path / "cam.avi"), "--frames", "5",
                          "--data", str(tmp_path / "nowhere")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr  # before: a DataSetError traceback
    assert "fictional face" in out.stderr and (tmp_path / "cam.avi").stat().st_size > 0


def test_make_yale_gallery_without_the_data_says_what_to_give_once(tmp_path):
    out = subprocess.run([sys.executable, "scripts/make_yale_gallery.py", str(tmp_path / "y"),
                          "--data", str(tmp_path / "nowhere")], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 1 and out.stderr.count("give the CroppedYale folder") == 1, out.stderr
