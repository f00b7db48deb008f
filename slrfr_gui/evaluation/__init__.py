"""Measuring the method: benchmark protocols, the rivals, and the speed of every stage.

``evaluate`` runs ``yaleb-lr-v1`` on Extended Yale B (``yale`` reads it) and ``crossset`` runs
``cross-v1`` on any folder-per-person face set; ``baselines`` are the rivals they compare with;
``benchmark`` times every stage, ``detect_benchmark`` the face detectors on real photographs, and
``scan_benchmark`` the video scan's scaling.

Imports run downwards only: ``evaluation`` takes everything below the command line and the window
(``scan``, ``demo``, ``gallery``, ``method``, ``faces``, ``files``); nothing below imports it.
"""
