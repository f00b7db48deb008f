"""slrfr scan: chunks, tracks joined across them, the SQLite store, resume, bad input, sharded galleries."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from slrfr_gui.scan import ScanOptions, ScanStore, ScanStoreError, SchedulerError, check_inputs, run_scan
from slrfr_gui.scan.shards import merge_top_k, shard_model, shard_top_k


@pytest.fixture(scope="module")
def demo_model():
    from slrfr_gui.method.learned import LearnedRelightingClassifier
    from slrfr_gui.demo.persons import make_demo

    demo = make_demo(6, 1, seed=3)
    faces = np.stack([im.face for im in demo.gallery.images])
    labels = [im.person for im in demo.gallery.images]
    return LearnedRelightingClassifier(resolution=(12, 10)).fit(faces, labels), demo


def _video(path, face, frames=75, size=56, fps=25.0, start=10, stop=65, speed=3.0):
    """A 320x240 MJPG video: a smooth background, ``face`` (48x40) moving right from ``start`` to ``stop``."""
    import cv2

    rng = np.random.default_rng(0)
    bg = cv2.GaussianBlur(rng.random((240, 320)).astype(np.float32), (0, 0), 5)
    bg = 0.35 + 0.3 * (bg - bg.min()) / np.ptp(bg)
    h = int(round(size * 1.2))
    sprite = cv2.resize(face.astype(np.float32), (size, h), interpolation=cv2.INTER_AREA)
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (320, 240), True)
    for t in range(frames):
        frame = bg.copy()
        if start <= t < stop:
            x = int(40 + speed * (t - start))
            frame[60:60 + h, x:x + size] = sprite
        writer.write(cv2.cvtColor(np.clip(frame * 255, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def test_bad_inputs_are_named_and_skipped(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "a.txt").write_text("not an image")
    (tmp_path / "zero.avi").write_bytes(b"")
    (tmp_path / "junk.mp4").write_bytes(b"\x00\x01garbage" * 100)
    sources, problems = check_inputs([tmp_path / "missing.avi", tmp_path / "empty", tmp_path / "notes",
                                      tmp_path / "zero.avi", tmp_path / "junk.mp4"])
    assert sources == []
    said = {p.path: p.message for p in problems}
    assert "no such file" in said[str(tmp_path / "missing.avi")]
    assert "no image" in said[str(tmp_path / "empty")]
    assert "not an image" in said[str(tmp_path / "notes" / "a.txt")]
    assert "OpenCV" in said[str(tmp_path / "zero.avi")] and "OpenCV" in said[str(tmp_path / "junk.mp4")]


def test_scan_finds_follows_and_names_one_person_resumes_without_duplicates(tmp_path, demo_model):
    model, demo = demo_model
    person = demo.gallery.images[2].person
    video = _video(tmp_path / "walk.avi", demo.gallery.images[2].face)  # the detector's surest case: frontal light
    out = tmp_path / "scan.sqlite"
    options = ScanOptions(detect_every=6, track_every=1, chunk_seconds=1.0, min_face=16)
    summary = run_scan(model, [video, tmp_path / "missing.avi"], out, options, workers=1)
    assert summary.complete and summary.chunks_total == 3 and summary.frames == 75
    assert any("missing.avi" in p for p in summary.problems)
    with ScanStore(out) as store:
        rows = store.appearances()
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert len(rows) == 1, rows  # one track across the three chunks, joined
    row = rows[0]
    assert row["person"] == person and not row["unknown"]
    assert 8 <= row["first_frame"] <= 16 and 58 <= row["last_frame"] <= 64
    assert abs(row["first_s"] - row["first_frame"] / 25.0) < 1e-9
    with pytest.raises(ScanStoreError, match="--resume"):
        run_scan(model, [video], out, options, workers=1)
    again = run_scan(model, [video], out, options, workers=1, resume=True)  # nothing left to do
    assert again.frames == 0 and again.chunks_done == 3
    with ScanStore(out) as store:
        assert len(store.appearances()) == 1
    with pytest.raises(ScanStoreError, match="--detect-every 6, not 7"):
        run_scan(model, [video], out, ScanOptions(detect_every=7, track_every=1, chunk_seconds=1.0), workers=1,
                 resume=True)


def test_a_chunk_written_twice_replaces_itself_and_resume_skips_done_chunks(tmp_path, demo_model):
    from slrfr_gui.scan import plan_chunks, scan_chunk
    from slrfr_gui.scan.runner import _scan  # noqa: F401 - the path the runner takes
    model, demo = demo_model
    video = _video(tmp_path / "v.avi", demo.gallery.images[0].face)
    (source,), _ = check_inputs([video])
    chunks = plan_chunks(source, 25, 12, step=1)
    options = ScanOptions(detect_every=6, track_every=1, chunk_seconds=1.0)
    with ScanStore(tmp_path / "s.sqlite") as store:
        store.add_source(source, chunks)
        result = scan_chunk(model, chunks[1], options)
        store.write_chunk(result)
        store.write_chunk(result)  # a retried chunk: written again, not added again
        n = store.db.execute("SELECT count(*) FROM segments").fetchone()[0]
        assert n == len(result.segments) >= 1
        assert store.done_chunks() == {(str(video), chunks[1].start)}
        assert store.counts() == (1, 3)
        assert store.sources_ready() == []  # not all chunks done: no appearances yet


def test_not_a_scan_store_is_refused(tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(ScanStoreError, match="something else"):
        ScanStore(other)


def test_unreachable_scheduler_is_a_clear_error_and_writes_nothing(tmp_path, demo_model):
    model, demo = demo_model
    video = _video(tmp_path / "v.avi", demo.gallery.images[0].face, frames=5)
    out = tmp_path / "never.sqlite"
    with pytest.raises(SchedulerError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:9"):
        run_scan(model, [video], out, scheduler="tcp://127.0.0.1:9", scheduler_timeout=2)
    assert not out.exists()


def _random_gallery(persons, seed=0):
    from slrfr_gui.evaluation.benchmark import _random_model

    return _random_model(persons, (7, 6), np.random.default_rng(seed))


def test_sharded_top_k_is_the_top_k_of_one_process():
    model = _random_gallery(3001)
    rng = np.random.default_rng(1)
    probes = np.clip(rng.uniform(0.05, 0.9, (40, 7, 6)), 0, 1)
    full = model.residuals(probes)
    want_idx = np.argsort(full, axis=1, kind="stable")[:, :5]
    parts = [shard_top_k(shard, probes, 5, offset) for shard, offset in shard_model(model, 3)]
    idx, val = merge_top_k(parts, 5)
    np.testing.assert_array_equal(idx, want_idx)
    np.testing.assert_allclose(val, np.take_along_axis(full, want_idx, axis=1), rtol=1e-10, atol=1e-12)
    sizes = [len(s.classes_) for s, _ in shard_model(model, 3)]
    assert sum(sizes) == 3001 and max(sizes) - min(sizes) <= 1


def test_sharded_identification_on_dask_workers_each_holding_one_shard():
    from distributed import Client, LocalCluster

    from slrfr_gui.scan.shards import identify_sharded, place_shards

    model = _random_gallery(2000, seed=4)
    probes = np.random.default_rng(2).uniform(0.05, 0.9, (16, 7, 6))
    full = model.residuals(probes)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster, \
            Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2)
        placed = place_shards(client, shard_model(model, 2))
        holders = client.who_has([f for f, _ in placed])
        assert len({w for ws in holders.values() for w in ws}) == 2  # one shard a worker
        idx, val, ratio = identify_sharded(client, placed, probes, k=3)
    np.testing.assert_array_equal(idx, np.argsort(full, axis=1, kind="stable")[:, :3])
    from slrfr_gui.method.openset import margin_ratio

    np.testing.assert_allclose(ratio, margin_ratio(full), rtol=1e-10)


def test_a_worker_killed_mid_chunk_loses_and_doubles_nothing(tmp_path, demo_model):
    """Two worker processes; one is killed (SIGKILL) while it scans a chunk: the chunk is retried and the
    results file is the same as an uninterrupted scan's."""
    import os
    import signal
    import threading
    import time

    from distributed import Client, LocalCluster

    model, demo = demo_model
    video = _video(tmp_path / "walk.avi", demo.gallery.images[2].face, frames=150, stop=140, speed=1.2)
    options = ScanOptions(detect_every=6, track_every=1, chunk_seconds=0.5, min_face=16)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=50) as cluster, Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2)
        reference = run_scan(model, [video], tmp_path / "ref.sqlite", options, scheduler=cluster.scheduler_address)
        pids = client.run(os.getpid)
        box = {}
        scan = threading.Thread(target=lambda: box.update(summary=run_scan(
            model, [video], tmp_path / "killed.sqlite", options, scheduler=cluster.scheduler_address)))
        scan.start()
        deadline = time.monotonic() + 60
        killed = None
        while killed is None and time.monotonic() < deadline:
            busy = [w for w, tasks in client.processing().items() if any("slrfr-scan" in str(t) for t in tasks)]
            if busy:
                killed = pids[busy[0]]
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.05)
        scan.join(180)
    assert killed is not None and not scan.is_alive()
    summary = box["summary"]
    assert summary.complete and summary.chunks_done == reference.chunks_done == 13
    with ScanStore(tmp_path / "ref.sqlite") as ref, ScanStore(tmp_path / "killed.sqlite") as got:
        columns = "source, track, first_frame, last_frame, person, unknown, faces"
        want = ref.db.execute(f"SELECT {columns} FROM appearances ORDER BY track").fetchall()
        assert got.db.execute(f"SELECT {columns} FROM appearances ORDER BY track").fetchall() == want
        assert got.db.execute("SELECT count(*) FROM segments").fetchone() == \
            ref.db.execute("SELECT count(*) FROM segments").fetchone()


def test_a_folder_of_stills_gives_one_appearance_per_face(tmp_path, demo_model):
    import cv2

    from slrfr_gui.files.imageio import write_grey
    from slrfr_gui.scan import plan_chunks, scan_chunk

    model, demo = demo_model
    folder = tmp_path / "stills"
    folder.mkdir()
    rng = np.random.default_rng(1)
    bg = cv2.GaussianBlur(rng.random((240, 320)).astype(np.float32), (0, 0), 5)
    bg = 0.35 + 0.3 * (bg - bg.min()) / np.ptp(bg)
    still = bg.copy()
    still[60:127, 100:156] = cv2.resize(demo.gallery.images[4].face.astype(np.float32), (56, 67),
                                        interpolation=cv2.INTER_AREA)
    write_grey(folder / "a.png", still)
    write_grey(folder / "b.png", bg)  # no face
    (folder / "notes.txt").write_text("not an image")
    (source,), problems = check_inputs([folder])
    assert source.kind == "stills" and source.frames == 2 and [p.path for p in problems] == [str(folder / "notes.txt")]
    (chunk,) = plan_chunks(source, 0, 0, batch=64)
    result = scan_chunk(model, chunk, ScanOptions(min_face=16))
    with ScanStore(tmp_path / "s.sqlite") as store:
        sid = store.add_source(source, [chunk])
        store.write_chunk(result)
        assert store.sources_ready() == [sid]
        store.join_source(sid, threshold=0.9, top=3)
        rows = store.appearances()
    face = [r for r in rows if abs(r["x"] + r["w"] / 2 - 128) < 10 and abs(r["y"] + r["h"] / 2 - 93) < 12]
    assert len(face) == 1  # the face (the detector may also take parts of the background for faces)
    assert (face[0]["source"], face[0]["person"], face[0]["first_s"], face[0]["unknown"]) == \
        (str(folder / "a.png"), demo.gallery.images[4].person, None, False)
    assert all(r["source"] in (str(folder / "a.png"), str(folder / "b.png")) for r in rows)


def test_an_existing_file_that_is_not_scan_results_is_named_so_without_resume_and_left_alone(tmp_path, demo_model):
    model, demo = demo_model
    video = _video(tmp_path / "v.avi", demo.gallery.images[0].face, frames=10)
    notes = tmp_path / "notes.sqlite"
    notes.write_text("my notes\n")
    for resume in (False, True):  # it used to say "give --resume" first, then "not a scan results file"
        with pytest.raises(ScanStoreError, match="not a scan results file"):
            run_scan(model, [video], notes, ScanOptions(), workers=1, resume=resume)
        assert notes.read_text() == "my notes\n"


def _scan_cli(tmp_path, demo_model, monkeypatch, summary):
    """``slrfr scan`` with run_scan answering ``summary``: (exit status, stdout)."""
    from slrfr_gui.cli import main
    from slrfr_gui.method.modelfile import save_model
    import slrfr_gui.scan as scan

    model, demo = demo_model
    save_model(model, tmp_path / "m.npz")
    video = _video(tmp_path / "v.avi", demo.gallery.images[0].face, frames=10)
    monkeypatch.setattr(scan, "run_scan", lambda *a, **k: summary)
    return main(["scan", str(tmp_path / "m.npz"), str(video), "-o", str(tmp_path / "s.sqlite"), "--resume",
                 "--quiet"])


def test_resuming_a_finished_scan_says_so_without_a_nan_speed(tmp_path, demo_model, monkeypatch, capsys):
    from slrfr_gui.scan.runner import ScanSummary

    done = ScanSummary(str(tmp_path / "s.sqlite"), 3, 3, 0, 0.4, 0.0, 1, 1)
    assert _scan_cli(tmp_path, demo_model, monkeypatch, done) == 0
    out = capsys.readouterr().out
    assert "already finished" in out and "nan" not in out and "1 appearances" in out


def test_resuming_with_another_model_or_options_says_which_in_words(tmp_path, demo_model):
    model, demo = demo_model
    store = ScanStore(tmp_path / "s.sqlite")
    settings = {"options": ScanOptions(detect_every=6).identity(), "model": {"sha256": "a" * 64},
                "persons": ["x"], "resolution": [12, 10]}
    store.check_settings(settings)
    with pytest.raises(ScanStoreError) as failed:
        store.check_settings({**settings, "model": {"sha256": "b" * 64}})
    message = failed.value.args[0]
    assert "another model file" in message and "aaaaaaaaaaaa" in message and "{" not in message
    with pytest.raises(ScanStoreError) as failed:
        store.check_settings({**settings, "options": ScanOptions(detect_every=7).identity()})
    assert "--detect-every 6, not 7" in failed.value.args[0] and "{" not in failed.value.args[0]
    store.close()
