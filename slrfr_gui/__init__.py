"""slrfr-gui: recognise people from tiny, badly lit face images.

Built on SLRFR (Shekhar, Patel, Chellappa, "Synthesis-based Recognition of Low
Resolution Faces", IJCB 2011). The packages, top to bottom; each imports only
those below it (``pyproject.toml`` holds the contract, docs/ARCHITECTURE.md the map):

* ``cli`` | ``gui``: the command line and the Qt window, thin layers (Qt only here);
* ``evaluation``: benchmark protocols, rivals, timings;
* ``scan`` | ``demo``: identifying folders and video at scale; the built-in demo;
* ``gallery``: the persons to recognise, each image made into a reference;
* ``method``: the SLRFR classifiers and what they stand on;
* ``faces``: any image to faces in the canonical frame;
* ``files``: image decoding, data files, atomic writes, shipped resources;
* ``errors``: the named exceptions every layer raises.
"""

__version__ = "0.1.0"
