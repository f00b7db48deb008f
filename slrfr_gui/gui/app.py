"""Starting the analyst's window: ``slrfr-gui`` and its options.

``slrfr-gui [--demo | --gallery DIR|FILE] [--model FILE] [--probe IMAGE] [--resolution 7x6] [--camera SOURCE]
[--screenshot OUT.png] [--json OUT.json]`` opens with that state, trains if needed, identifies the probe,
starts the camera panel on SOURCE and, with ``--screenshot``, saves an image of the whole window and exits
(with ``--json``, the ranked persons too, in the form ``slrfr identify --json`` uses). Without a screen
(Linux, no ``DISPLAY``/``WAYLAND_DISPLAY``, no ``QT_QPA_PLATFORM``) it says so and exits with status 1.
The window itself is :class:`~slrfr_gui.gui.window.MainWindow`.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import time
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..errors import SLRFRError
from ..faces.frame import format_resolution, parse_resolution
from . import recovery
from .common import apply_palette_to_pyqtgraph
from .icon import app_icon
from .logs import install_excepthook, setup_logging
from .window import MainWindow

log = logging.getLogger("slrfr_gui")


class _VersionAction(argparse.Action):
    """``--version``: the version, and whether dlib's face search is there (a frozen build must carry it)."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest, nargs=0, default=default, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        from ..faces.face_search import library_status

        print(f"slrfr-gui {__version__}\n{library_status()}")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="slrfr-gui", description="The slrfr-gui window.")
    parser.add_argument("--version", action=_VersionAction, help="show the version and which face search runs, "
                                                                 "and exit")
    parser.add_argument("--gallery", type=Path, help="open this gallery folder (or saved gallery file)")
    parser.add_argument("--model", type=Path, help="open this model file")
    parser.add_argument("--demo", action="store_true", help="open the built-in demo: fictional persons, trained, "
                        "with probes to identify (no data needed)")
    parser.add_argument("--probe", type=Path, help="identify this probe image")
    parser.add_argument("--resolution", type=str, help="probe resolution, e.g. 7x6")
    parser.add_argument("--train", action="store_true", help="train after opening the gallery (implied when a "
                        "probe is given without a model)")
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the whole window when the work is done, then exit")
    parser.add_argument("--json", type=Path, help="with --screenshot: write the ranked persons as JSON too")
    parser.add_argument("--scan-results", type=Path, metavar="FILE", help="open the Scan panel on a results file of "
                        "'slrfr scan' (with --scan: scan into it, continuing it if it exists)")
    parser.add_argument("--scan", type=Path, action="append", metavar="INPUT", help="scan this video or folder with "
                        "the model (give --scan-results too; repeat for several; with --screenshot, taken when done)")
    parser.add_argument("--camera", metavar="SOURCE", help="open the camera panel on this source: a device number "
                        "(0, 1, ...), a video file or a folder of images (with --screenshot, taken after a few frames)")
    return parser


def _check_arguments(parser: argparse.ArgumentParser, args) -> None:
    """Usage errors that can be told before a window opens (exit status 2, as argparse does)."""
    for option, path, want_file in (("--gallery", args.gallery, None), ("--model", args.model, True),
                                    ("--probe", args.probe, True),
                                    ("--scan-results", None if args.scan else args.scan_results, True)):
        if path is None:
            continue
        if not path.exists():
            parser.error(f"argument {option}: {path}: no such file or folder")
        if want_file and path.is_dir():
            parser.error(f"argument {option}: {path}: is a folder; give a file")
    for option, path in (("--screenshot", args.screenshot), ("--json", args.json)):
        if path is not None and not (path.parent if str(path.parent) else Path(".")).is_dir():
            parser.error(f"argument {option}: {path.parent}: no such folder")
    if args.demo and (args.gallery is not None or args.model is not None):
        parser.error("argument --demo: opens its own gallery; give it without --gallery and --model")
    if args.json is not None and args.screenshot is None:
        parser.error("argument --json: only with --screenshot (the ranked persons are written when the "
                     "screenshot is taken)")
    if args.json is not None and args.probe is not None and not (args.gallery or args.model or args.demo):
        parser.error("argument --json: nothing to rank the probe against; give --gallery, --model or --demo too")
    if args.scan and (args.scan_results is None or not (args.model or args.gallery or args.demo)):
        parser.error("argument --scan: give --scan-results FILE and a model (--model, --gallery or --demo) too")
    if args.camera is not None:
        source = args.camera.strip()
        if not source or not (source.isdigit() or Path(source).exists()):
            parser.error(f"argument --camera: {args.camera!r}: no such video file or folder; give a device number "
                         "(0, 1, ...), a video file or a folder of images")


def _check_model_resolution(parser: argparse.ArgumentParser, args, resolution) -> None:
    """--model with a --resolution the model is not for is a usage error (it used to be ignored)."""
    if args.model is None or resolution is None:
        return
    from ..method.modelfile import read_metadata

    try:
        trained = tuple(read_metadata(args.model)["requested_resolution"])
    except SLRFRError:
        return  # the window reports a bad model file itself
    if trained != tuple(resolution):
        size = format_resolution(trained)
        parser.error(f"argument --resolution: {args.model} is a model for {size}, not "
                     f"{format_resolution(resolution)}; give --resolution {size} or leave it out"
                     + (" (or leave out --model to train the gallery at that size)" if args.gallery else ""))


def no_screen_message() -> str | None:
    """Why no window can open here (Linux without a display and no Qt platform chosen), or None.

    Qt would otherwise abort (exit status 134) saying that reinstalling the application may help."""
    if not sys.platform.startswith("linux") or QApplication.instance() is not None:
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"):
        return None
    return ("no screen: neither DISPLAY nor WAYLAND_DISPLAY is set, so no window can open. For a scripted run use "
            "Qt's offscreen platform, e.g. QT_QPA_PLATFORM=offscreen slrfr-gui --demo --screenshot shot.png; "
            "otherwise run slrfr-gui on a desktop")


def install_sigint_handler(app: QApplication, window_of):
    """Ctrl+C (SIGINT) closes the window as its close button does: unsaved work is asked about (or not,
    when ``confirm_close`` is False) and the autosave ends cleanly, instead of a KeyboardInterrupt raised
    in whichever slot runs. Qt's event loop holds the interpreter in C++, so a timer wakes Python every
    200 ms to let it run the handler. ``window_of()`` gives the window (None before it exists: then the
    application just quits). Returns the previous handler (for :func:`signal.signal`)."""
    pending = {"on": False}

    def close_window():
        # A question open at that moment (restore the autosave? unsaved work?) runs its own event loop:
        # closing the window under it freed the window twice (glibc: "double free or corruption"). The
        # question is answered "no" / "cancel" first, and the window closed once its loop has returned.
        modal = app.activeModalWidget()
        if modal is not None:
            log.info("interrupted (SIGINT): closing the open dialog first")
            if hasattr(modal, "done"):
                modal.done(0)
            else:
                modal.close()
            QTimer.singleShot(100, close_window)
            return
        pending["on"] = False
        window = window_of()
        try:
            visible = window is not None and window.isVisible()
        except RuntimeError:  # already deleted (closed)
            visible = False
        if visible:
            log.info("interrupted (SIGINT): closing the window")
            window.close()
        else:
            app.quit()

    def on_sigint(signum, frame):
        if not pending["on"]:
            pending["on"] = True
            QTimer.singleShot(0, close_window)  # not inside the handler: a question may need an event loop

    previous = signal.signal(signal.SIGINT, on_sigint)
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(200)
    app._sigint_timer = timer
    return previous


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    _check_arguments(parser, args)
    if args.resolution is not None:
        try:
            resolution = parse_resolution(args.resolution)
        except ValueError as exc:
            parser.error(f"argument --resolution: {exc}")
    else:
        resolution = None
    _check_model_resolution(parser, args, resolution)
    no_screen = no_screen_message()
    if no_screen:
        print(f"slrfr-gui: error: {no_screen}", file=sys.stderr)
        return 1
    app = QApplication.instance() or QApplication([sys.argv[0]])
    holder = {}
    previous_sigint = install_sigint_handler(app, lambda: holder.get("window"))
    try:
        return _run(app, args, resolution, holder)
    finally:
        signal.signal(signal.SIGINT, previous_sigint)


def _run(app: QApplication, args, resolution, holder: dict) -> int:
    """The window of :func:`main`, from the checked arguments, until the application quits."""
    app.setApplicationName("slrfr-gui")
    app.setOrganizationName("slrfr-gui")
    app.setApplicationVersion(__version__)
    app.setWindowIcon(app_icon())
    log_path = setup_logging()
    app._crash_reporter = install_excepthook(log_path)
    apply_palette_to_pyqtgraph()
    window = MainWindow()
    holder["window"] = window
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    if args.screenshot is None:
        window.restore_layout()
        try:
            window.enable_recovery(recovery.RecoveryStore(recovery.recovery_folder()))
        except OSError as exc:
            log.warning("no autosave this session: %s", exc)
        else:
            QTimer.singleShot(0, window.keeper.offer_restore)
    else:
        window.confirm_close = False  # a scripted run ends without questions, and keeps no autosave
        window.show_dialogs = False
        window.resize(1500, 950)
    if resolution:
        window.resolution_bar.set_resolution(resolution)
    window.show()
    status = {"code": 0, "finished": False, "camera_failed": False, "camera_deadline": time.monotonic() + 30}
    if args.camera is not None:
        window.start_webcam_enrolment(args.camera.strip())
    if args.scan_results is not None and not args.scan:
        window.scan_dock.show()
        if not window.scan_panel.open_results(args.scan_results):
            status["code"] = 1
    if args.scan_results is not None:  # the results take most of the window
        QTimer.singleShot(0, lambda: window.resizeDocks([window.scan_dock], [int(window.height() * 0.7)],
                                                        Qt.Orientation.Vertical))

    def camera_waits() -> bool:
        """True while the camera of --camera has shown fewer than three frames (the screenshot waits)."""
        if args.camera is None or status["camera_failed"]:
            return False
        last = window.camera_view.last
        if last is not None and last["index"] >= 2:
            return False
        if time.monotonic() > status["camera_deadline"]:
            print(f"slrfr-gui: error: {args.camera}: no frame shown within 30 s", file=sys.stderr)
            status["code"] = 1
            return False
        return True

    def finish():
        if status["finished"]:
            return
        if args.screenshot is not None and (camera_waits() or window.probe_searching()
                                            or window.scan_panel.running() or window.review.reading()):
            QTimer.singleShot(100, finish)
            return
        status["finished"] = True
        if args.screenshot is not None:
            if window.grab().save(str(args.screenshot)):
                print(f"screenshot written to {args.screenshot}")
            else:
                print(f"slrfr-gui: error: {args.screenshot}: could not write the screenshot (is the folder there, "
                      "and does the name end in .png?)", file=sys.stderr)
                status["code"] = 1
            if args.json is not None:
                from ..method.probe_report import probe_json

                ranked = window.results.ranked_json()
                if not ranked and args.probe:  # never identified (say, the model did not open): say why
                    ranked = [probe_json(args.probe, problems=[status.get("message") or "not identified: no model"])]
                args.json.write_text(json.dumps(ranked, indent=2) + "\n")
                print(f"ranked persons written to {args.json}")
                failed = [e for e in ranked if "error" in e]
                if failed and not status["code"]:  # a failure fail() has not printed (no face found)
                    for entry in failed:
                        print(f"slrfr-gui: error: {entry['probe']}: cannot identify: {entry['error']}",
                              file=sys.stderr)
                    status["code"] = 1
            window.close()
            app.quit()

    def fail(message):
        print(f"slrfr-gui: error: {message}", file=sys.stderr)
        status.setdefault("message", message)
        if args.screenshot is not None:  # a scripted run failed; an interactive one showed the error and goes on
            status["code"] = 1
            QTimer.singleShot(100, finish)

    window.task_failed.connect(fail)
    window.warned.connect(lambda message: print(f"slrfr-gui: warning: {message}", file=sys.stderr))

    def camera_failed(message):
        status["camera_failed"] = True
        fail(f"camera: {message}")

    if args.camera is not None:
        window.camera_view.failed.connect(camera_failed)

    def after_model():
        if args.scan:
            from ..scan import ScanOptions

            window.scan_panel.finished.connect(lambda summary: status.update(code=status["code"] or int(
                summary is None or not summary.complete)))
            window.start_scan({"inputs": [str(p) for p in args.scan], "output": args.scan_results,
                               "options": ScanOptions(), "resume": args.scan_results.exists()})
        if args.probe and not window.results.set_probe(args.probe):
            return  # the window reported why, through task_failed
        QTimer.singleShot(200, finish)

    def after_gallery():
        if args.model and window.open_model(args.model) and window.model is not None:
            return after_model()
        if window.model is None and (args.train or args.probe or args.screenshot):
            window.model_ready.connect(after_model)
            window.train()
        else:
            after_model()

    def after_demo_model():
        window.model_ready.disconnect(after_demo_model)
        if args.probe:
            return after_model()
        window.demo_panel.choose(0)
        if args.screenshot is not None:
            QTimer.singleShot(200, finish)

    if args.demo:
        window.model_ready.connect(after_demo_model)
        window.open_demo(resolution=resolution or (7, 6))
    elif args.gallery:
        window.gallery_loaded.connect(after_gallery)
        window.open_gallery(args.gallery)
    elif args.model:
        if window.open_model(args.model):
            after_model()
    elif args.probe:  # a probe alone: shown (it was ignored), and the window says what it needs
        after_model()
    elif args.screenshot:
        QTimer.singleShot(300, finish)
    code = app.exec()
    return status["code"] or code


if __name__ == "__main__":
    sys.exit(main())
