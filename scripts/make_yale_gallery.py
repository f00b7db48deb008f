#!/usr/bin/env python3
"""Make a gallery folder and low-resolution probes from cropped Extended Yale B.

The gallery gets one image per person (the protocol's 192x160 crop, as PNG, under
one light); the probes are the same persons under other lights, degraded to the
probe resolution with the benchmark's operator and written as tiny PNGs named
``<person>__<light>.png``. For trying ``slrfr enroll`` / ``slrfr identify`` and
the window on real faces. The images stay outside the repository.

    python scripts/make_yale_gallery.py OUT_DIR [--persons 10] [--resolution 7x6]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.faces.frame import degrade, parse_resolution  # noqa: E402
from slrfr_gui.files.imageio import read_grey, write_grey  # noqa: E402
from slrfr_gui.errors import DataSetError  # noqa: E402
from slrfr_gui.evaluation.yale import load_yale  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="output folder (gallery/ and probes/ are made inside)")
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "CroppedYale",
                        help="the CroppedYale folder of Extended Yale B (default: %(default)s)")
    parser.add_argument("--persons", type=int, default=10, help="number of subjects, from B01 on (default 10)")
    parser.add_argument("--resolution", default="7x6", help="probe size rows x columns (default 7x6)")
    parser.add_argument("--gallery-light", default="+000E+00", help="gallery light as AsaaaEsee (default +000E+00)")
    parser.add_argument("--max-theta", type=float, default=25.5, help="probe lights up to this angle (default 25.5: S1-S2)")
    args = parser.parse_args(argv)

    resolution = parse_resolution(args.resolution)
    try:
        yale = load_yale(args.data)
    except DataSetError as exc:
        print(f"make_yale_gallery: error: {exc} (--data DIR)", file=sys.stderr)
        return 1
    subjects = sorted(set(yale.subjects.tolist()))[: args.persons]
    gal_az, gal_el = int(args.gallery_light[:4]), int(args.gallery_light[5:])
    from slrfr_gui.evaluation.yale import light_angle

    theta = light_angle(yale.azimuth, yale.elevation)
    (args.out / "gallery").mkdir(parents=True, exist_ok=True)
    (args.out / "probes").mkdir(parents=True, exist_ok=True)
    n_probes = 0
    for sid in subjects:
        name = f"yaleB{sid:02d}"
        for i in np.flatnonzero(yale.subjects == sid):
            light = f"A{yale.azimuth[i]:+04d}E{yale.elevation[i]:+03d}"
            if (yale.azimuth[i], yale.elevation[i]) == (gal_az, gal_el):
                (args.out / "gallery" / name).mkdir(exist_ok=True)
                write_grey(args.out / "gallery" / name / f"{name}_{light}.png", read_grey(yale.paths[i])[:, 4:164])
            elif theta[i] <= args.max_theta:
                write_grey(args.out / "probes" / f"{name}__{light}.png", degrade(yale.images[i], resolution))
                n_probes += 1
    print(f"{len(subjects)} persons in {args.out / 'gallery'}, {n_probes} probes of {args.resolution} in {args.out / 'probes'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
