"""Galleries: the persons to recognise, one folder per person, each image made into a reference.

``gallery`` holds the persons and their images (editable, saved as a gallery file) and reads a
gallery folder; ``gallery_align`` makes one image a 48 x 40 reference (its face searched like a
probe's, or taken as a crop) and says how; ``image`` is one gallery image and the rule for refusing one.

Imports run downwards only: ``gallery`` takes ``method`` (the model file format, for references),
``faces``, ``files`` and ``errors``.
"""
