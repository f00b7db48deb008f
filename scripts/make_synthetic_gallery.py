#!/usr/bin/env python3
"""Write the demo's fictional persons as a gallery folder and probes (no real photograph involved).

Persons come from :func:`slrfr_gui.demo.persons.make_demo` (the face model's albedo
PCA, rendered with the mean surface normals): one nearly frontal gallery image
each in ``OUT_DIR/gallery/<name>/``, and probes under other lights, degraded to
the probe resolution, in ``OUT_DIR/probes/<name>__<n>.png``.

    python scripts/make_synthetic_gallery.py OUT_DIR [--persons 12] [--probes 4] [--resolution 7x6] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.demo.persons import make_demo  # noqa: E402
from slrfr_gui.faces.frame import degrade, parse_resolution  # noqa: E402
from slrfr_gui.files.imageio import write_grey  # noqa: E402


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--persons", type=_positive, default=12)
    parser.add_argument("--probes", type=_positive, default=4, help="probes per person")
    parser.add_argument("--resolution", default="7x6")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        resolution = parse_resolution(args.resolution)
    except ValueError as exc:
        parser.error(f"argument --resolution: {exc}")
    demo = make_demo(args.persons, args.probes, args.seed)
    for image in demo.gallery.images:
        folder = args.out / "gallery" / image.person
        folder.mkdir(parents=True, exist_ok=True)
        write_grey(folder / image.name, image.face)
    (args.out / "probes").mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for probe in demo.probes:
        counts[probe.person] = counts.get(probe.person, 0) + 1
        write_grey(args.out / "probes" / f"{probe.person}__{counts[probe.person]}.png",
                   degrade(probe.image, resolution))
    print(f"{args.persons} fictional persons in {args.out / 'gallery'}, probes of {args.resolution} in "
          f"{args.out / 'probes'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
