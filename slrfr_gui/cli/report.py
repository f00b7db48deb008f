"""``slrfr report``: plots and a results page from the JSON of ``slrfr evaluate``.

Writes, into one folder:

* ``cmc_<size>.png``: the CMC curve (ranks 1-10) of every method at the smallest size;
* ``rank1_vs_size.png``: rank-1 against probe size for every method;
* ``results.md``: the tables (rank-1 per method and size, per lighting subset,
  the ablation, the open set) with both pictures.

Plots are drawn by pyqtgraph offscreen; no window opens.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

from ..errors import SLRFRError

#: Line colours (Okabe-Ito, colour-blind safe) and symbols, SLRFR first.
COLOURS = ["#000000", "#E69F00", "#56B4E9", "#009E73", "#C9B200", "#0072B2", "#D55E00", "#CC79A7", "#999999",
           "#7F3C8D", "#882255", "#44AA99", "#661100"]
SYMBOLS = ["o", "s", "t", "d", "+", "x", "star", "p", "h", "t1", "t2", "t3", "o"]


def _read_json(path: Path, made_by: str):
    """The JSON in ``path``; SLRFRError naming it when it cannot be read or is not JSON."""
    try:
        return json.loads(path.read_text())
    except OSError as exc:
        raise SLRFRError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except ValueError:
        raise SLRFRError(f"{path}: not JSON; give the file written by {made_by}") from None

def load_results(path) -> dict:
    """The JSON written by ``slrfr evaluate --json``.

    Raises
    ------
    SLRFRError
        Missing file, not JSON, or not an evaluation.
    """
    path = Path(path)
    data = _read_json(path, "slrfr evaluate --json")
    if not isinstance(data, dict) or not isinstance(data.get("results"), list) or not data["results"]:
        raise SLRFRError(f"{path}: no results in it; give the file written by slrfr evaluate --json")
    for i, result in enumerate(data["results"]):
        problem = _result_problem(result)
        if problem:
            raise SLRFRError(f"{path}: result {i + 1} {problem}; give the file written by slrfr evaluate --json")
    return data


def _is_rate(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0


def _result_problem(result) -> str:
    """What is wrong with one entry of ``results``, or "" when it is well formed."""
    from ..faces.frame import parse_resolution

    if not isinstance(result, dict):
        return "is not an object"
    if not isinstance(result.get("method"), str) or not result["method"]:
        return "has no method name"
    try:
        parse_resolution(str(result.get("resolution")))
    except ValueError:
        return f"has a bad resolution {result.get('resolution')!r}"
    for key in ("rank1", "rank1_min"):
        if not _is_rate(result.get(key)):
            return f"has no {key} in [0, 1]"
    cmc = result.get("cmc")
    if not isinstance(cmc, list) or len(cmc) != 10 or not all(_is_rate(v) for v in cmc):
        return "has no CMC of ten rates"
    subsets = result.get("subsets")
    if not isinstance(subsets, dict) or not all(v is None or _is_rate(v) for v in subsets.values()):
        return "has no per-subset rates"
    open_set = result.get("open_set", {})
    if not isinstance(open_set, dict) or not all(
            isinstance(v, dict) and all(isinstance(v.get(k), (int, float)) for k in ("threshold", "fpir", "fnir"))
            for v in open_set.values()):
        return "has a malformed open_set"
    return ""


def _pixels(size: str) -> int:
    r, c = (int(v) for v in size.split("x"))
    return r * c


def _app():
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    return QApplication.instance() or QApplication([])


def _plot(title: str, x_label: str, y_label: str, series: list, path: Path, x_ticks=None) -> None:
    import pyqtgraph as pg
    from PySide6.QtCore import Qt

    _app()
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    widget = pg.GraphicsLayoutWidget()
    widget.resize(900, 680)
    plot = widget.addPlot(row=0, col=0)
    plot.setTitle(title)
    plot.setLabel("bottom", x_label)
    plot.setLabel("left", y_label)
    plot.showGrid(x=True, y=True, alpha=0.3)
    plot.setYRange(0, 100)
    plot.layout.setContentsMargins(10, 25, 20, 10)
    for i, (name, xs, ys) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        dashed = name.startswith("SLRFR ")  # SLRFR's own variants: dashed
        style = Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
        pen = pg.mkPen(colour, width=3 if i == 0 else 2, style=style)
        plot.plot(xs, ys, name=name, pen=pen,
                  symbol=SYMBOLS[i % len(SYMBOLS)], symbolBrush=colour, symbolPen=colour, symbolSize=8)
    # The legend sits in its own row under the plot, so it never hides a curve.
    legend = pg.LegendItem(colCount=4)
    widget.addItem(legend, row=1, col=0)
    for item in plot.listDataItems():
        legend.addItem(item, item.name())
    widget.ci.layout.setRowStretchFactor(0, 6)
    if x_ticks:
        plot.getAxis("bottom").setTicks([x_ticks])
    if not widget.grab().save(str(path), "PNG"):
        raise SLRFRError(f"{path}: could not write the plot")
    widget.close()


def write_scaling_plot(rows: list, path, scan_rows: list | None = None) -> Path:
    """Identification time and memory against persons, two panels, log-log, as PNG; with ``scan_rows``
    (``slrfr benchmark --scan``) a third: frames per second of ``slrfr scan`` against worker processes.

    ``rows`` come from :func:`slrfr_gui.evaluation.benchmark.scaling`.
    """
    import numpy as np
    import pyqtgraph as pg

    _app()
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    widget = pg.GraphicsLayoutWidget()
    widget.resize(1100, 500)
    persons = np.array([r["persons"] for r in rows], dtype=float)
    panels = (("time per probe (ms)", [1e3 * r["median_s"] for r in rows], "median"),
              ("memory (MB)", [r["model_mb"] for r in rows], "model"))
    for col, (label, values, name) in enumerate(panels):
        plot = widget.addPlot(row=0, col=col)
        plot.setLogMode(x=True, y=True)
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.setLabel("bottom", "persons in the gallery")
        plot.setLabel("left", label)
        plot.addLegend(offset=(10, 5))
        plot.plot(persons, values, name=name, pen=pg.mkPen(COLOURS[0], width=3), symbol="o", symbolBrush=COLOURS[0])
        if col == 1:
            peaks = [r["peak_memory_mb"] for r in rows]
            plot.plot(persons, peaks, name="peak while building and scoring", pen=pg.mkPen(COLOURS[6], width=2),
                      symbol="s", symbolBrush=COLOURS[6])
        else:
            firsts = [1e3 * r["first_probe_s"] for r in rows]
            plot.plot(persons, firsts, name="first probe of a light cluster", pen=pg.mkPen(COLOURS[6], width=2),
                      symbol="s", symbolBrush=COLOURS[6])
        plot.setTitle(f"{label.split(' (')[0]} against gallery size, 7x6 probes")
    if scan_rows:
        widget.resize(1600, 500)
        plot = widget.addPlot(row=0, col=2)
        plot.showGrid(x=True, y=True, alpha=0.3)
        plot.setLabel("bottom", "worker processes")
        plot.setLabel("left", "frames per second")
        plot.addLegend(offset=(10, 5))
        workers = np.array([r["workers"] for r in scan_rows], dtype=float)
        fps = np.array([r["fps"] for r in scan_rows])
        plot.plot(workers, fps, name="slrfr scan, 640x480", pen=pg.mkPen(COLOURS[0], width=3), symbol="o",
                  symbolBrush=COLOURS[0])
        if all("idle_core_fps" in r for r in scan_rows):  # what the workers' CPU time says idle cores would do
            idle = np.array([min(r["workers"], os.cpu_count() or 1) * r["idle_core_fps"] for r in scan_rows])
            plot.plot(workers, idle, name="from the workers' CPU time (idle cores)", pen=pg.mkPen(COLOURS[2], width=2),
                      symbol="s", symbolBrush=COLOURS[2])
        if len(fps) and workers[0] == 1:
            plot.plot(workers, fps[0] * workers, name="linear from 1 worker", pen=pg.mkPen(COLOURS[6], width=1,
                                                                                         style=pg.QtCore.Qt.DashLine))
        plot.setTitle(f"scan speed against workers ({os.cpu_count()} cores)")
    path = Path(path)
    if not widget.grab().save(str(path), "PNG"):
        raise SLRFRError(f"{path}: could not write the plot")
    widget.close()
    return path


def write_report(results_paths, out_dir, detection=None) -> list[Path]:
    """Write the plots and ``results.md`` for one or more evaluations; returns the files written.

    ``results_paths`` is one JSON file of ``slrfr evaluate --json`` or several (for example a
    ``yaleb-lr-v1`` and a ``cross-v1`` run): one page holds the tables of each, in order; the plots of
    the first are ``cmc_<size>.png`` and ``rank1_vs_size.png``, those of the others carry their protocol
    in front (``cross-v1_cmc_7x6.png``).

    ``detection``: the JSON of ``slrfr detection-benchmark --json``, whose table is added to the page.

    Raises
    ------
    SLRFRError
        Bad input file, or the folder cannot be written.
    """
    paths = [results_paths] if isinstance(results_paths, (str, os.PathLike)) else list(results_paths)
    if not paths:
        raise SLRFRError("no results file given; give the file written by slrfr evaluate --json")
    datasets = [load_results(p) for p in paths]
    detection_data = None if detection is None else load_detection(detection)
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise SLRFRError(f"{out}: is a file, not a folder; give a folder for the report")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SLRFRError(f"{out}: cannot create the folder ({exc.strerror or exc})") from None
    prefixes = [""] + [re.sub(r"[^A-Za-z0-9.-]+", "-", str(d.get("protocol") or f"run{i + 2}")).strip("-") + "_"
                       for i, d in enumerate(datasets[1:])]
    if len(set(prefixes)) != len(prefixes):
        prefixes = [""] + [f"{p}{i + 2}_" for i, p in enumerate(prefixes[1:])]
    targets = [out / "results.md"]
    for data, prefix in zip(datasets, prefixes):
        smallest = sorted({r["resolution"] for r in data["results"]}, key=_pixels)[0]
        targets += [out / f"{prefix}cmc_{smallest}.png", out / f"{prefix}rank1_vs_size.png"]
    for target in targets:
        if target.is_dir():
            raise SLRFRError(f"{target}: is a folder; remove it or choose another output folder")
    written, pages = [], []
    for data, prefix in zip(datasets, prefixes):
        written += _plots(data, out, prefix)
        pages.append(_markdown(data, prefix, heading_level=1 if len(datasets) == 1 else 2))
    path = out / ".results.md.part"
    title = [] if len(datasets) == 1 else [
        "# Results: " + " and ".join(f"`{d.get('protocol', '')}`" for d in datasets), "",
        "Made by `slrfr report` from the JSON files of `slrfr evaluate`, one section each.", ""]
    page = "\n".join(title + pages)
    if detection_data is not None:
        page += "\n## Face detection on photographs\n\n" + detection_markdown(detection_data)
    path.write_text(page)
    written.append(path)
    # Everything was drawn: only now replace the previous report, file by file.
    final = []
    for part in written:
        target = out / part.name[1:-len(".part")]
        os.replace(part, target)
        final.append(target)
    return final


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}"


def _layout(data):
    results = data["results"]
    methods = list(dict.fromkeys(r["method"] for r in results))
    sizes = sorted({r["resolution"] for r in results}, key=_pixels)
    by = {(r["method"], r["resolution"]): r for r in results}
    return methods, sizes, by


def _plots(data, out: Path, prefix: str) -> list:
    """Draw the CMC at the smallest size and rank-1 against size; the ``.part`` files written."""
    methods, sizes, by = _layout(data)
    smallest = sizes[0]
    plotted = [m for m in methods if not m.startswith("SLRFR ") or m in ("SLRFR physical", "SLRFR paper")]
    cmc = [(m, list(range(1, 11)), [100 * v for v in by[(m, smallest)]["cmc"]]) for m in plotted
           if (m, smallest) in by]
    written = []
    path = out / f".{prefix}cmc_{smallest}.png.part"
    _plot(f"CMC at {smallest} ({data.get('protocol', '')})", "rank", "identification rate (%)", cmc, path,
          [(k, str(k)) for k in range(1, 11)])
    written.append(path)
    xs = [_pixels(s) for s in sizes]
    series = [(m, [xs[i] for i, s in enumerate(sizes) if (m, s) in by],
               [100 * by[(m, s)]["rank1"] for s in sizes if (m, s) in by]) for m in plotted]
    path = out / f".{prefix}rank1_vs_size.png.part"
    _plot(f"Rank-1 against probe size ({data.get('protocol', '')})", "probe pixels (rows x columns)",
          "rank-1 (%)", series, path, [(x, s) for x, s in zip(xs, sizes)])
    written.append(path)
    return written


_ABLATION_TEXT = {
    "yaleb-lr-v1": (
        "`SLRFR` relights by the mean log ratio learned from the training subjects; `SLRFR physical`"
        " uses the paper's nine Lambertian relit images instead (with this project's square-root"
        " features, mean shading images and lighting metric). Each `-x` variant switches one"
        " component off; `SLRFR paper` has none of the additions. `SLRFR -extra-personal` scores by the"
        " plain Mahalanobis distance instead of the Bayesian intra/extra-personal one; `SLRFR -mirror`"
        " learns without the mirrored training faces; `SLRFR -alignment search` enrolls each gallery"
        " image alone, without its four copies moved half a pixel; `SLRFR -unrelit hypothesis` compares each"
        " gallery image relit to the probe's light cluster only, not also as it is. Changes are against `SLRFR`."),
    "cross-v1": (
        "`SLRFR canonical framing` takes every gallery as framed like the canonical frame (the learned"
        " relighting always scores); `SLRFR -unrelit hypothesis` always relights the gallery to the probe's"
        " light cluster (no change where the generic metric scores: it does not relight); `SLRFR before"
        " cross-v1` does both, as the default did before `cross-v1` existed. Changes are against `SLRFR`."),
}


def _markdown(data, prefix: str = "", heading_level: int = 1) -> str:
    methods, sizes, by = _layout(data)
    smallest = sizes[0]
    protocol = data.get("protocol", "")
    h1, h2 = "#" * heading_level, "#" * (heading_level + 1)
    runs = data["results"][0].get("runs", "?")
    how = "one run" if runs == 1 else f"averaged over {runs} runs"
    lines = [f"{h1} Results: `{protocol}`", "",
             f"Made by `slrfr report` from the JSON of `slrfr evaluate` (or `scripts/check_robustness.py`);"
             f" rank-1 in %, {how}."
             f" Whole run: {data.get('seconds', 0):.0f} s.", "",
             f"{h2} Rank-1 by method and probe size", "",
             "| method | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(sizes)]
    for m in methods:
        lines.append(f"| {m} | " + " | ".join(_pct(by[(m, s)]["rank1"]) if (m, s) in by else "–" for s in sizes)
                     + " |")
    subsets = ["S1", "S2", "S3", "S4", "S5", "S1-S3"]
    for s in sizes:
        if not any(by[(m, s)]["subsets"] for m in methods if (m, s) in by):
            continue  # a face set without lighting subsets (cross-v1)
        lines += ["", f"{h2} By lighting subset at {s}", "", "| method | rank-1 | min over runs | "
                  + " | ".join(subsets) + " |", "|---|---|---|" + "---|" * len(subsets)]
        for m in methods:
            if (m, s) in by:
                r = by[(m, s)]
                lines.append(f"| {m} | {_pct(r['rank1'])} | {_pct(r['rank1_min'])} | "
                             + " | ".join(_pct(r["subsets"].get(k)) for k in subsets) + " |")
    # On cross-v1, SLRFR physical is a rival of the main table, not an ablation.
    ablations = [m for m in methods if m.startswith("SLRFR ") and not (protocol == "cross-v1" and m == "SLRFR physical")]
    if ablations:
        lines += ["", f"{h2} Ablation: SLRFR with components switched off (change in rank-1 points)", "",
                  _ABLATION_TEXT.get(protocol, "Changes are against `SLRFR`."), "",
                  "| variant | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(sizes)]
        for m in ablations:
            cells = []
            for s in sizes:
                if (m, s) in by and ("SLRFR", s) in by:
                    d = 100 * (by[(m, s)]["rank1"] - by[("SLRFR", s)]["rank1"])
                    cells.append(f"{_pct(by[(m, s)]['rank1'])} ({d:+.1f})")
                else:
                    cells.append("–")
            lines.append(f"| {m} | " + " | ".join(cells) + " |")
    opened = [(s, by[("SLRFR", s)]["open_set"]) for s in sizes
              if ("SLRFR", s) in by and by[("SLRFR", s)].get("open_set")]
    if opened:
        how = ("Every other person is left out of the gallery, then the others; the threshold is the shipped default"
               " for the size." if protocol == "cross-v1" else
               "Half of the test subjects are left out of each gallery; the thresholds are calibrated on the "
               "training subjects only.")
        lines += ["", f"{h2} Open set (SLRFR)", "", how, "",
                  "| size | target FPIR | threshold | measured FPIR | FNIR |", "|---|---|---|---|---|"]
        for s, o in opened:
            for target, v in o.items():
                lines.append(f"| {s} | {target} | {v['threshold']:.3f} | {_pct(v['fpir'])} | {_pct(v['fnir'])} |")
    lines += ["", f"{h2} CMC at {smallest}", "", f"![CMC at {smallest}]({prefix}cmc_{smallest}.png)", "",
              f"{h2} Rank-1 against probe size", "", f"![rank-1 against size]({prefix}rank1_vs_size.png)", ""]
    if data.get("notes"):
        lines += [f"{h2} Notes", ""] + [f"- {n}" for n in data["notes"]] + [""]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------- face detection
_SETS = {"photos": "photos/", "yale_pasted": "Yale B pasted", "gt": "GT faces"}


def load_detection(path) -> dict:
    """The JSON written by ``slrfr detection-benchmark --json``.

    Raises
    ------
    SLRFRError
        Missing file, not JSON, or not a detection benchmark.
    """
    path = Path(path)
    data = _read_json(path, "slrfr detection-benchmark --json")
    if not isinstance(data, dict) or not isinstance(data.get("rows"), list) or not all(
            isinstance(r, dict) and isinstance(r.get("detector"), str) and r.get("set") in _SETS
            for r in data["rows"]):
        raise SLRFRError(f"{path}: no detection rows in it; give the file written by slrfr detection-benchmark --json")
    return data


def _cell(row, key, scale=100.0, digits=1):
    value = None if row is None else row.get(key)
    return "–" if value is None else f"{scale * value:.{digits}f}"


def _detection_rows(data):
    names = list(dict.fromkeys(r["detector"] for r in data["rows"]))
    by = {(r["detector"], r["set"]): r for r in data["rows"]}
    head = ["detector", "photos: recall %", "false / photo", "on dogs.jpg", "eye error (median)",
            "Yale B pasted: recall %", "eye error", "false / frame", "ms / 640x480 frame (cpu)", "GT: recall %",
            "12 MP photo, s (cpu)"]
    rows = []
    for name in names:
        p, y, g = by.get((name, "photos")), by.get((name, "yale_pasted")), by.get((name, "gt"))
        big = data.get("twelve_megapixel_s", {}).get(name)
        big = [big, None] if isinstance(big, (int, float)) else big  # files written before the cpu figures
        rows.append([name, _cell(p, "recall"), _cell(p, "false_per_image", 1, 2),
                     "–" if p is None or p.get("dogs") is None else str(p["dogs"]),
                     _cell(p, "eye_error_median", 1, 3), _cell(y, "recall"), _cell(y, "eye_error_median", 1, 3),
                     _cell(y, "false_per_image", 1, 2),
                     f"{_cell(y, 'ms_median', 1, 0)} ({_cell(y, 'cpu_ms_median', 1, 0)})", _cell(g, "recall"),
                     "–" if big is None else f"{big[0]:.2f} ({'–' if big[1] is None else f'{big[1]:.2f}'})"])
    return head, rows


def _notes(data) -> list:
    notes = [f"load average {data.get('load_before')} before, {data.get('load_after')} after, "
             f"{data.get('cpus')} CPUs; sets: {data.get('sets')}"]
    widths = data.get("recall_by_width", {})
    for name, cells in widths.items():
        notes.append(f"Yale B pasted, found by width, {name}: " + ", ".join(
            f"{w} px {hit}/{n}" for w, (hit, n) in sorted(cells.items(), key=lambda t: int(t[0]))))
    for name, why in data.get("not_measured", {}).items():
        notes.append(f"not measured: {name}: {why}")
    return notes


def detection_table(data) -> str:
    """The detection benchmark as a plain-text table (what the command prints)."""
    head, rows = _detection_rows(data)
    widths = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
    line = lambda r: "  ".join(str(v).rjust(w) if i else str(v).ljust(w) for i, (v, w) in enumerate(zip(r, widths)))
    out = [line(head), "-" * len(line(head))] + [line(r) for r in rows]
    return "\n".join(out + [""] + _notes(data))


def detection_markdown(data) -> str:
    """The detection benchmark as a Markdown table with its notes."""
    head, rows = _detection_rows(data)
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]
    command = data.get("command", "slrfr detection-benchmark")
    out += ["", f"From `{command}`. Recall: faces found (a detection whose box centre lies in the face's box, "
                "0.4-2.5 times its width); false: detections matching no face, on the judged photos (photos/ "
                "with annotations, and dogs.jpg); eye error: the larger of the two eye-centre errors over the "
                "eye distance (photos/: against the centres of the annotated eye contours, with the eyes as "
                "found; Yale B: against the canonical frame's, with the eyes of the frame placed). Time: median "
                "wall time per image on this machine, and in brackets the processor time, which a shared "
                "machine inflates far less.", ""]
    return "\n".join(out + [f"- {n}" for n in _notes(data)]) + "\n"
