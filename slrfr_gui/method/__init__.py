"""The SLRFR method (Shekhar, Patel, Chellappa, IJCB 2011): relight the gallery down to the probe, name the nearest.

The classifiers, one estimator each with the contract of ``base`` (``fit``, ``residuals``, ``rank``,
``predict``): ``learned`` (the learned relighting, the default) and ``physical`` (the paper's nine
relit images and K-SVD dictionaries) on their shared ``slrfr``; ``outdoor`` (section 4.3) and
``lrpca`` (the LR-PCA rival); ``classifiers`` picks one by name. What they stand on: ``relight``
(albedo and the nine points of light, section 3.1), ``ksvd`` (section 3.2), ``metric`` (the lighting
metric they score with), ``lighting_resources`` and ``generic`` (the shipped metrics, and the one for
galleries framed otherwise), ``framing`` (how a gallery is framed), ``params`` (training parameters
and sizes), ``openset`` (the unknown-person threshold), ``probe_report`` (an identified probe as the
JSON ``slrfr identify --json`` and the window's ``--json`` write). ``lighting`` learns the metrics (it runs a
classifier); ``modelfile`` saves and loads a fitted classifier as data.

Imports run downwards only: ``method`` takes ``faces``, ``files`` and ``errors``; no Qt.
"""
