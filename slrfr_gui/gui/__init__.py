"""The Qt window, a thin layer over the method: panels that show and drive it, and the window that composes them.

``app`` starts the window (``slrfr-gui`` and its options) and ``window`` is the window; each panel is
a module with its own widgets and logic (``gallery_panel``, ``gallery_review``, ``relight_view``,
``controls``, ``probe_panel`` over ``results``, ``batch_panel``, ``camera_view``, ``scan_panel``,
``demo_panel``, ``welcome``); ``workspace`` is the window's work on its gallery and models; ``worker``
runs long work off the GUI thread; ``recovery``, ``settings``, ``logs`` and ``dialogs`` keep work,
choices and errors.

The only package besides ``cli`` that may import Qt; it imports every package below it.
"""
