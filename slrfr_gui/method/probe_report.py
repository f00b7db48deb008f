"""One identified probe as a JSON-ready dict: what ``slrfr identify --json`` prints per probe and what the
window's ``--json`` writes, built here once so that the two cannot drift apart.

An entry holds ``probe`` (the file or source), ``ranked`` (the first face's persons, best first, each
``{"person", "residual"}``), ``alignment`` (how the faces were found: the search's note), ``faces``
(each face identified: ``box`` (x, y, w, h) in image pixels, ``how``, ``method`` for detected faces,
``ranked``, ``ratio`` (smallest residual over the second smallest), ``unknown`` (the ratio above the
threshold; None with one enrolled person) and any ``warning``), and, where they apply, ``warning``
and ``error`` (why the probe could not be identified).
"""

from __future__ import annotations


def ranked_json(ranked) -> list:
    """[(person, residual)] -> [{"person": str, "residual": float rounded to 6 places}]."""
    return [{"person": p, "residual": round(v, 6)} for p, v in ranked]


def upsampled_warning(face, model) -> str | None:
    """The warning for a face smaller than the model's resolution (it is up-sampled), with the remedy;
    None when it is not."""
    from ..faces.frame import format_resolution
    from .params import upsampling_warning

    warning = upsampling_warning(face.aligned.shape, model.resolution_)
    if warning is None:
        return None
    return f"{warning} (slrfr enroll GALLERY --resolution {format_resolution(face.aligned.shape)} -o MODEL)"


def face_json(face, ranked, ratio: float, threshold: float, model=None) -> dict:
    """One identified face (a :class:`~slrfr_gui.faces.find.FoundFace`, its ranking and ratio) as a dict."""
    from .openset import ONE_PERSON_NOTE

    one = model is not None and len(model.classes_) < 2
    out = {"box": [int(v) for v in face.box], "how": face.how, **({"method": face.method} if face.method else {}),
           "ranked": ranked_json(ranked),
           "ratio": round(ratio, 4), "unknown": None if one else bool(ratio > threshold)}
    warnings = [w for w in (upsampled_warning(face, model) if model is not None else None,
                            ONE_PERSON_NOTE if one else None) if w]
    if warnings:
        out["warning"] = "; ".join(warnings)
    return out


def probe_json(probe, search=None, identified=(), problems=(), threshold: float = 1.0, model=None,
               warning: str = "") -> dict:
    """One probe's entry (the keys in the module docstring).

    Parameters
    ----------
    probe : str or path
        The probe file (or the source's name).
    search : FaceSearch or None
        How its faces were found (None: the image was never searched, e.g. it could not be read).
    identified : list of (FoundFace, ranked, ratio)
        The faces identified, ``ranked`` a list of (person, residual), best first.
    problems : list of str
        Why faces (or the image) could not be identified; they make the entry's ``error``.
    threshold : float
        The ratio above which a face is "unknown".
    model : fitted classifier, optional
        For the faces' warnings (up-sampled face, one enrolled person).
    warning : str
        The probe's warning; by default the first face's.
    """
    entry = {"probe": str(probe), "ranked": ranked_json(identified[0][1]) if identified else [],
             "alignment": search.note if search is not None else "",
             "faces": [face_json(face, ranked, ratio, threshold, model) for face, ranked, ratio in identified]}
    warnings = [f["warning"] for f in entry["faces"] if "warning" in f]
    if warning or warnings:
        entry["warning"] = warning or warnings[0]
    if problems or not identified:
        entry["error"] = "; ".join(problems) or (search.note if search is not None else "")
    return entry
