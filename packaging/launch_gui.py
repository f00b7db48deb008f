"""Entry script for the PyInstaller build (the package itself uses relative imports).

A frozen build first checks that the files it must ship are there, and found where the code
looks for them at run time, so a broken build fails at once with the names of what is missing
(exit status 3) rather than on first use of face detection or training.
"""

import os
import sys

# Every name given to slrfr_gui.files.resources.resource_path (tests/test_packaging.py keeps this in step).
REQUIRED_RESOURCES = ("face_model.npz", "detector.npz", "lighting_metrics.npz", "generic_metrics.npz",
                      "face_frame.json", "openset.json",
                      "icons/slrfr-gui-16.png", "icons/slrfr-gui-256.png")
CASCADE = "haarcascade_frontalface_default.xml"  # read by slrfr_gui.faces.detect via cv2.data.haarcascades


def missing_files() -> list[str]:
    import cv2

    from slrfr_gui.errors import ResourceError
    from slrfr_gui.files.resources import resource_path

    missing = []
    for name in REQUIRED_RESOURCES:
        try:
            resource_path(name)
        except ResourceError:
            missing.append(f"resources/{name}")
    if not os.path.isfile(cv2.data.haarcascades + CASCADE):
        missing.append(cv2.data.haarcascades + CASCADE)
    return missing


if __name__ == "__main__":
    # A frozen executable started again as a multiprocessing child must run that child's code, not the window
    # (the scan's local Dask cluster runs its workers as threads in the frozen app, but anything that spawns
    # a process must find this here).
    import multiprocessing

    multiprocessing.freeze_support()
    if getattr(sys, "frozen", False):
        missing = missing_files()
        if missing:
            if sys.stderr is not None:
                print("slrfr-gui: broken build, missing: " + ", ".join(missing), file=sys.stderr)
            sys.exit(3)
    from slrfr_gui.gui.app import main

    sys.exit(main())
