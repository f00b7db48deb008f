"""Files, below everything that knows faces: bytes on disk to arrays and back.

``imageio`` decodes any image to grey levels (Pillow: GIF, EXIF rotation, 16-bit, huge photos);
``datafile`` is the ``.npz`` + JSON + SHA-256 data file every saved thing uses (never a pickle);
``atomic`` writes a file so that an interruption leaves the old one; ``resources`` finds the files
the application ships, in a checkout, a wheel or a frozen build.

Imports run downwards only: this package imports nothing of ``slrfr_gui`` but ``errors``.
"""
