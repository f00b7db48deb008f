#!/usr/bin/env python3
"""Write a gallery folder and probes of fictional persons (no real photograph involved).

Persons are drawn from the face model's albedo PCA and rendered with the mean
surface normals (:mod:`slrfr_gui.core.synthetic`): one frontal-ish gallery image
each, and probes under other lights degraded to the probe resolution, named
``<person>__<n>.png``.

    python scripts/make_synthetic_gallery.py OUT_DIR [--persons 12] [--resolution 7x6] [--seed 0]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from slrfr_gui.core.frame import degrade, parse_resolution  # noqa: E402
from slrfr_gui.core.imageio import write_grey  # noqa: E402
from slrfr_gui.core.synthetic import render_faces, sample_albedos  # noqa: E402
from slrfr_gui.core.yale import light_vector  # noqa: E402

NAMES = ["Ada", "Basil", "Cleo", "Dmitri", "Esme", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Luca",
         "Mina", "Nils", "Oona", "Pavel", "Quinn", "Rosa", "Soren", "Tess"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--persons", type=int, default=12)
    parser.add_argument("--resolution", default="7x6")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    resolution = parse_resolution(args.resolution)
    rng = np.random.default_rng(args.seed)
    albedos = sample_albedos(args.persons, seed=rng)
    gallery_light = light_vector([5], [10])
    probe_lights = light_vector(rng.uniform(-40, 40, 4), rng.uniform(-20, 30, 4))
    gallery = render_faces(albedos, gallery_light)[:, 0]
    probes = render_faces(albedos, probe_lights)
    for i in range(args.persons):
        name = NAMES[i] if i < len(NAMES) else f"Person{i + 1:03d}"
        (args.out / "gallery" / name).mkdir(parents=True, exist_ok=True)
        write_grey(args.out / "gallery" / name / f"{name.lower()}.png", gallery[i])
        (args.out / "probes").mkdir(parents=True, exist_ok=True)
        for k, probe in enumerate(probes[i]):
            write_grey(args.out / "probes" / f"{name}__{k + 1}.png", degrade(probe, resolution))
    print(f"{args.persons} fictional persons in {args.out / 'gallery'}, probes of {args.resolution} in {args.out / 'probes'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
