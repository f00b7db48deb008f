"""Bad gallery folders (issue 7): each gives the expected persons and a list of what was skipped and why.

``SkippedFilesWarning`` is an error under the project's pytest configuration,
so every case that skips something expects it with ``pytest.warns``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from slrfr_gui.errors import GalleryError
from slrfr_gui.gallery.gallery import SkippedFilesWarning, load_gallery

RNG = np.random.default_rng(0)


def face(path: Path, size=(8, 8)) -> Path:
    """A tiny face-like image (noise is enough for loading)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((RNG.random(size) * 255).astype(np.uint8)).save(path, "PNG")
    return path


def skipped(gallery) -> dict:
    """{file name relative to the gallery root: reason}."""
    return {str(Path(p).relative_to(gallery.root)): reason for p, reason in gallery.skipped}


def test_empty_folder(tmp_path):
    with pytest.raises(GalleryError, match="no person sub-folder") as caught:
        load_gallery(tmp_path)
    assert str(tmp_path) in str(caught.value) and "\n" not in str(caught.value)


def test_only_hidden_and_stray_files(tmp_path):
    (tmp_path / ".DS_Store").write_bytes(b"x")
    face(tmp_path / "stray.png")
    with pytest.raises(GalleryError, match="no person sub-folder"):
        load_gallery(tmp_path)


def test_person_folders_without_any_image(tmp_path):
    (tmp_path / "ann").mkdir()
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "notes.txt").write_text("hi")
    with pytest.raises(GalleryError, match="no person folder holds a readable image"):
        load_gallery(tmp_path, warn=False)


def test_one_person(tmp_path):
    face(tmp_path / "ann" / "1.png")
    gallery = load_gallery(tmp_path)
    assert gallery.persons == ["ann"] and gallery.faces.shape == (1, 48, 40) and gallery.skipped == []


def test_person_with_one_image_and_person_with_none_usable(tmp_path):
    face(tmp_path / "ann" / "1.png")
    face(tmp_path / "bob" / "1.png")
    face(tmp_path / "bob" / "2.png")
    (tmp_path / "cy").mkdir()
    (tmp_path / "cy" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 40)
    (tmp_path / "cy" / "empty.jpg").write_bytes(b"")
    with pytest.warns(SkippedFilesWarning, match="2 files skipped and 1 person without images") as record:
        gallery = load_gallery(tmp_path)
    assert len(record) == 1
    assert gallery.count("ann") == 1 and gallery.count("bob") == 2
    assert gallery.empty_persons == ["cy"]
    assert set(skipped(gallery)) == {"cy/broken.png", "cy/empty.jpg"}
    assert "cy: person has no usable image" in gallery.skipped_report()


def test_names_differing_only_in_case(tmp_path):
    face(tmp_path / "Alice" / "1.png")
    face(tmp_path / "alice" / "1.png")
    face(tmp_path / "bob" / "1.png")
    with pytest.warns(SkippedFilesWarning, match="only in upper/lower case"):
        gallery = load_gallery(tmp_path)
    assert gallery.persons == ["Alice", "bob"]
    assert "merge or rename" in skipped(gallery)["alice"]
    # The gallery stays editable: the same rule as adding a person by hand.
    with pytest.raises(GalleryError, match="already"):
        gallery.add_person("ALICE")


def test_non_ascii_names(tmp_path):
    names = ["Zoë", "Ωmega", "李雷", "Renée Müller", "emoji 🙂"]
    for name in names:
        face(tmp_path / name / "portrait é.png")
    gallery = load_gallery(tmp_path)
    assert gallery.persons == sorted(names)
    assert all(gallery.count(n) == 1 for n in names)
    path = gallery.save(tmp_path.parent / f"{tmp_path.name}-g.slrfr-gallery")
    from slrfr_gui.gallery.gallery import Gallery

    assert Gallery.open(path).persons == gallery.persons


def test_symbolic_link_loops(tmp_path):
    root = tmp_path / "g"
    face(root / "ann" / "1.png")
    face(root / "bob" / "1.png")
    os.symlink(root, root / "everyone")  # a person folder that is the gallery itself
    os.symlink(root / "ann" / "self", root / "ann" / "self")  # a link to itself
    os.symlink("b", root / "bob" / "a")  # two links pointing at each other
    os.symlink("a", root / "bob" / "b")
    os.symlink(root / "bob", root / "bob" / "again")  # a folder link back up
    os.symlink(root / "missing.png", root / "bob" / "gone.png")
    start = time.perf_counter()
    with pytest.warns(SkippedFilesWarning):
        gallery = load_gallery(root)
    assert time.perf_counter() - start < 5
    assert gallery.persons == ["ann", "bob"], "the looping folder is not a person holding everyone's images"
    assert gallery.faces.shape == (2, 48, 40)
    reasons = skipped(gallery)
    assert "loop" in reasons["everyone"]
    assert "loop" in reasons["ann/self"] and "loop" in reasons["bob/a"] and "loop" in reasons["bob/b"]
    assert "not followed" in reasons["bob/again"]
    assert "broken symbolic link" in reasons["bob/gone.png"]


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


@pytest.mark.skipif(_running_as_root(), reason="root reads files whatever their mode, so chmod 000 does not bite")
def test_unreadable_files_and_folders(tmp_path):
    face(tmp_path / "ann" / "1.png")
    locked = face(tmp_path / "ann" / "locked.png")
    face(tmp_path / "bob" / "1.png")
    face(tmp_path / "cy" / "1.png")
    locked.chmod(0)
    (tmp_path / "cy").chmod(0)
    try:
        with pytest.warns(SkippedFilesWarning):
            gallery = load_gallery(tmp_path)
    finally:
        locked.chmod(0o644)
        (tmp_path / "cy").chmod(0o755)
    reasons = skipped(gallery)
    assert "permission denied" in reasons["ann/locked.png"]
    assert gallery.count("ann") == 1 and gallery.count("bob") == 1
    assert "cy" in reasons or gallery.empty_persons == ["cy"]


def test_unreadable_files_as_root_are_detected_not_assumed(tmp_path):
    """Where chmod 000 does not bite (root), the file is simply read; nothing crashes either way."""
    locked = face(tmp_path / "ann" / "1.png")
    locked.chmod(0)
    try:
        readable = os.access(locked, os.R_OK)
        if readable:
            assert load_gallery(tmp_path).count("ann") == 1
        else:
            with pytest.raises(GalleryError):
                load_gallery(tmp_path, warn=False)
    finally:
        locked.chmod(0o644)


def test_ten_thousand_files_half_junk(tmp_path):
    """5,000 tiny images and 5,000 junk files over 50 persons: every junk file is listed, quickly."""
    png = _png_bytes()
    junk = {".txt": b"notes", ".png": b"\x89PNG\r\n\x1a\nbroken", ".jpg": b"", ".bin": bytes(range(256))}
    kinds = list(junk)
    for i in range(50):
        folder = tmp_path / f"person{i:02d}"
        folder.mkdir()
        for j in range(100):
            (folder / f"face{j:03d}.png").write_bytes(png)
            suffix = kinds[j % len(kinds)]
            (folder / f"junk{j:03d}{suffix}").write_bytes(junk[suffix])
    start = time.perf_counter()
    with pytest.warns(SkippedFilesWarning, match="5000 files skipped in ") as record:
        gallery = load_gallery(tmp_path)
    seconds = time.perf_counter() - start
    assert len(record) == 1, "one warning, not one per file"
    assert gallery.faces.shape == (5000, 48, 40) and len(gallery.persons) == 50
    reasons = skipped(gallery)
    assert len(reasons) == 5000 and all(Path(name).name.startswith("junk") for name in reasons)
    assert reasons["person00/junk000.txt"] == "not an image"
    assert "damaged" in reasons["person00/junk001.png"] or "not an image" in reasons["person00/junk001.png"]
    assert seconds < 30, f"{seconds:.1f} s"


def _png_bytes() -> bytes:
    import io

    buffer = io.BytesIO()
    Image.fromarray((RNG.random((8, 8)) * 255).astype(np.uint8)).save(buffer, "PNG")
    return buffer.getvalue()


def test_gallery_path_is_a_file_or_missing(tmp_path):
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(GalleryError, match="is a file"):
        load_gallery(tmp_path / "file.png")
    with pytest.raises(GalleryError, match="no such folder"):
        load_gallery(tmp_path / "nope")


def test_blank_and_tiny_images_are_skipped_with_the_reason(tmp_path):
    """Images that hold no face (constant, 2x1 pixels) are refused as probes are, not enrolled silently."""
    from slrfr_gui.gallery.gallery import Gallery

    face(tmp_path / "Alice" / "a.png")
    Image.fromarray(np.zeros((48, 40), np.uint8)).save(tmp_path / "Alice" / "black.png")
    (tmp_path / "Bob").mkdir()
    Image.fromarray(np.array([[10], [200]], np.uint8)).save(tmp_path / "Bob" / "tiny.png")
    with pytest.warns(SkippedFilesWarning, match="blank"):
        gallery = load_gallery(tmp_path)
    reasons = skipped(gallery)
    assert gallery.count("Alice") == 1 and gallery.empty_persons == ["Bob"]
    assert "blank" in reasons[os.path.join("Alice", "black.png")]
    assert "too small" in reasons[os.path.join("Bob", "tiny.png")]
    assert all("not enrolled" in r for r in reasons.values())
    added, refused = Gallery().add_files("Carol", [tmp_path / "Alice" / "black.png", tmp_path / "Alice" / "a.png"])
    assert len(added) == 1 and "blank" in refused[0][1]
    with pytest.raises(GalleryError, match="blank"):
        Gallery().add_face("Dan", np.full((48, 40), 0.5))


def test_images_in_nested_sub_folders_are_skipped_not_read(tmp_path):
    face(tmp_path / "Alice" / "a.png")
    face(tmp_path / "Alice" / "old" / "b.png")
    face(tmp_path / "Alice" / "old" / "deeper" / "c.png")
    with pytest.warns(SkippedFilesWarning, match="in a sub-folder"):
        gallery = load_gallery(tmp_path)
    assert gallery.count("Alice") == 1
    reasons = skipped(gallery)
    assert set(reasons) == {os.path.join("Alice", "old", "b.png"), os.path.join("Alice", "old", "deeper", "c.png")}
    assert all(r.startswith("in a sub-folder: not read") for r in reasons.values())


def test_a_gallery_where_no_face_is_found_says_so_file_by_file(tmp_path, capsys):
    """Every image readable, none holding a face the search finds: the error says no face was found, lists
    each file's reason and the remedies, not "no readable image"."""
    from slrfr_gui.cli import main
    from slrfr_gui.files.imageio import write_grey

    for person in ("a", "b"):
        (tmp_path / "g" / person).mkdir(parents=True)
        scene = np.clip(0.5 + 0.1 * np.random.default_rng(len(person)).standard_normal((480, 640)), 0, 1)
        write_grey(tmp_path / "g" / person / "frame.png", scene)
    with pytest.raises(GalleryError, match="no face was found in any image") as failed:
        load_gallery(tmp_path / "g", warn=False)
    assert "frame.png: no face found" in failed.value.args[0] and "--align crop" in failed.value.args[0]
    assert main(["enroll", str(tmp_path / "g"), "-o", str(tmp_path / "m.npz"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "no face was found" in err and "readable" not in err
    assert str(tmp_path / "g" / "a" / "frame.png") in err and str(tmp_path / "g" / "b" / "frame.png") in err
    assert "--align crop" in err and "eye centres" in err and not (tmp_path / "m.npz").exists()
