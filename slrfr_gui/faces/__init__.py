"""Faces: from any image to faces in the canonical 48 x 40 frame, and the frame itself.

``frame`` is the canonical frame and the degradation to a probe's size (the paper's equation 4);
``facemodel`` the face model (mean surface normals, shading, face PCA) learned from training faces;
``align`` places the frame on a face (eyes, face-space refinement); ``detect`` is the project's own
tiny-face detector, ``dlib_faces`` and ``face_search`` the search on photographs (dlib from 24
pixels, the tiny search below); ``find`` is the one entry point, any image to aligned faces (and
the live tracker); ``camera`` gives frames from a device, a video file or a folder.

Imports run downwards only: ``faces`` takes ``files`` and ``errors``, and knows nothing of the method.
"""
