"""Training parameters and sizes, checked once for the command line and the window alike.

:func:`check_training_parameters` refuses combinations that cannot work (a
sparsity above the atoms a dictionary has) and says which values the classifier
will lower (atoms capped at half the features, PCA components at the pixels),
so that ``slrfr enroll`` and the window's *Advanced training parameters* accept
and refuse the same things with the same words; :func:`upsampling_warning` says
when a probe is smaller than its model and which size to train at instead.
"""

from __future__ import annotations

from ..faces.frame import FRAME_SHAPE, check_resolution, format_resolution

#: What each parameter is called in messages: the field's symbol and the command line option.
NAMES = {"n_atoms": "atoms K (--atoms)", "sparsity": "sparsity T0 (--sparsity)",
         "n_iter": "K-SVD iterations (--iterations)", "n_components": "PCA components (--components)"}


def atoms_cap(n_features: int) -> int:
    """The most atoms a person's dictionary may have: max(10, p // 2) for p features (the default K).

    A dictionary whose span covers (nearly) the whole feature space explains any probe: with 30
    images of one person at 7x6 (42 features) and K = 42, that person took every probe with
    residual 0 (rank-1 1.0 % for the others' probes of 38 Yale B persons); capped at 21 and with
    residuals normalised by the dimensions each span leaves free
    (:meth:`~slrfr_gui.method.slrfr.SLRFRClassifier.residuals`), 94.7 %.
    """
    return max(10, int(n_features) // 2)


def check_training_parameters(resolution, mode: str = "slrfr", relighting: str = "learned", n_atoms=None,
                              sparsity: int = 3, n_iter: int = 10, n_components=None, **_) -> list[str]:
    """Validate training parameters before any work; return notes on values that will be lowered.

    Parameters
    ----------
    resolution : (int, int)
        Probe size, rows x columns.
    mode, relighting, n_atoms, sparsity, n_iter, n_components
        As for :func:`~slrfr_gui.method.classifiers.make_classifier`; other keywords are ignored.

    Returns
    -------
    list of str
        One sentence per value that will be capped (atoms, PCA components), for the user to read.

    Raises
    ------
    ValueError
        A value out of range, a sparsity above the atoms per person, or PCA components with the
        learned relighting; the message names the parameter.
    """
    r, c = check_resolution(resolution)
    if mode != "slrfr":
        return []
    if relighting != "physical" and n_components:
        raise ValueError(f"{NAMES['n_components']} apply to the physical relighting only (the learned relighting"
                         " works on log grey levels)")
    if n_atoms is not None and int(n_atoms) < 1:
        raise ValueError(f"{NAMES['n_atoms']} must be at least 1, got {n_atoms}")
    if int(sparsity) < 1:
        raise ValueError(f"{NAMES['sparsity']} must be at least 1, got {sparsity}")
    if int(n_iter) < 0:
        raise ValueError(f"{NAMES['n_iter']} must be at least 0, got {n_iter}")
    notes = []
    if n_components:
        pixels = r * c
        if int(n_components) > pixels:
            notes.append(f"{NAMES['n_components']} {n_components} is more than the {pixels} pixels of a"
                         f" {format_resolution((r, c))} probe: {pixels} are used")
        p = min(int(n_components), pixels)
    else:
        from .lighting_resources import serving_resolution

        sr, sc = serving_resolution((r, c), "sqrt")
        p = sr * sc
    cap = atoms_cap(p)
    atoms = cap if n_atoms is None else min(int(n_atoms), cap)
    if n_atoms is not None and int(n_atoms) > cap:
        notes.append(f"{NAMES['n_atoms']} {n_atoms} capped at {cap}, max(10, half the {p} features): a dictionary"
                     " spanning more of the feature space explains any probe")
    if int(sparsity) > atoms:
        why = "the default, max(10, features / 2)" if n_atoms is None else "after the cap" if atoms < int(n_atoms) \
            else "as given"
        raise ValueError(f"{NAMES['sparsity']} {sparsity} cannot exceed the atoms per person, {atoms} at"
                         f" {format_resolution((r, c))} ({why}); lower the sparsity or raise the atoms")
    return notes


def upsampling_warning(shape, resolution) -> str | None:
    """Why the answer for a probe of ``shape`` is unreliable at ``resolution``, or None.

    :func:`~slrfr_gui.faces.frame.prepare_probe` enlarges (bicubically) a probe smaller than the model's
    resolution along either axis: the enlarged probe holds no detail the
    dictionaries were learned from, so a model trained at the probe's own size
    should be used. The numbers are not changed; this only says so. No warning
    when a model trained at the probe's size would itself be served at
    ``resolution`` (:func:`~slrfr_gui.method.lighting_resources.serving_resolution`):
    the advice never points to a worse setting.

    Parameters
    ----------
    shape : (int, int)
        The probe's (aligned face's) rows and columns, pixels.
    resolution : (int, int)
        The model's resolution, rows x columns.

    Returns
    -------
    str or None
        One sentence naming both sizes, without advice on how to train (the
        command line and the window each add theirs).
    """
    rows, cols = int(shape[0]), int(shape[1])
    r, c = int(resolution[0]), int(resolution[1])
    if (rows > FRAME_SHAPE[0] and cols > FRAME_SHAPE[1]) or (rows >= r and cols >= c):
        return None  # reduced to the frame, then degraded: no up-sampling
    from ..method.lighting_resources import serving_resolution

    if serving_resolution((rows, cols)) == (r, c):
        return None  # a model trained at the probe's size would be served at this very size: no better advice
    served = serving_resolution((rows, cols))
    via = "" if served == (rows, cols) else f", served at {served[0]}x{served[1]} with the shipped lighting metric"
    return (f"the probe ({rows}x{cols}) is smaller than the model's resolution ({r}x{c}) and was up-sampled,"
            f" so the answer is unreliable; use a model trained at the probe's size ({rows}x{cols}{via})")
