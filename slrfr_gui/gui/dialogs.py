"""The questions and notices the window puts to the user, in one place.

Each is a plain module function, called through the module (``dialogs.ask_unsaved(...)``), so a test
(or a script driving the window) can replace it and answer without a modal dialog blocking the run.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFileDialog, QMessageBox

from .. import __version__

SAVE, DISCARD, CANCEL = "save", "discard", "cancel"

#: Help -> About: what the application does, and the work it stands on.
ABOUT = f"""<h3>slrfr-gui {__version__}</h3>
<p>Recognises people from tiny, badly lit face images (7×6 to 20×20 pixels) by synthesis: each gallery face
is degraded to the probe's size and relit to the probe's light by a relighting learned from training faces,
and a probe is named by the person whose relit face is nearest (the smallest residual). The paper's form,
nine Lambertian relit images and one dictionary per person, is the physical relighting option.</p>
<p><b>Method:</b> S. Shekhar, V. M. Patel, R. Chellappa, “Synthesis-based Recognition of Low Resolution
Faces”, IJCB 2011.<br>
<b>Albedo:</b> S. Biswas, G. Aggarwal, R. Chellappa, “Robust Estimation of Albedo for Illumination-Invariant
Matching and Shape Recovery”, IEEE TPAMI 31(5), 2009.<br>
<b>Nine points of light:</b> K.-C. Lee, J. Ho, D. Kriegman, “Acquiring Linear Subspaces for Face Recognition
under Variable Lighting”, IEEE TPAMI 27(5), 2005.<br>
<b>K-SVD:</b> M. Aharon, M. Elad, A. Bruckstein, IEEE TSP 54(11), 2006.<br>
<b>Face model data:</b> Extended Yale Face Database B — A. Georghiades, P. Belhumeur, D. Kriegman, “From Few
to Many: Illumination Cone Models for Face Recognition under Variable Lighting and Pose”, IEEE TPAMI 23(6),
2001 (free for research use).</p>"""


def notify(parent, title: str, text: str, details: str = "") -> QMessageBox:
    """Show a notice without blocking (the box stays until the user closes it); returns the box."""
    box = QMessageBox(QMessageBox.Icon.Information, title, text, QMessageBox.StandardButton.Ok, parent)
    if details:
        box.setDetailedText(details)
    box.open()
    return box


def ask_unsaved(parent, text: str) -> str:
    """Ask what to do with unsaved work on closing: :data:`SAVE`, :data:`DISCARD` or :data:`CANCEL`."""
    buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
               | QMessageBox.StandardButton.Cancel)
    answer = QMessageBox.warning(parent, "slrfr-gui: unsaved work", text, buttons, QMessageBox.StandardButton.Save)
    return {QMessageBox.StandardButton.Save: SAVE, QMessageBox.StandardButton.Discard: DISCARD}.get(answer, CANCEL)


def ask_save_path(parent, title: str, name: str, filters: str) -> str:
    """A file name to save to, or "" when the user cancels."""
    path, _ = QFileDialog.getSaveFileName(parent, title, name, filters)
    return path


def ask_restore(parent, text: str) -> bool | None:
    """Whether to restore the work autosaved by a session that did not exit cleanly: True (yes), False (no),
    None when the question was closed without an answer (Ctrl+C in the terminal): keep it for next time."""
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    answer = QMessageBox.question(parent, "slrfr-gui: restore unsaved work?", text, buttons,
                                  QMessageBox.StandardButton.Yes)
    if answer == QMessageBox.StandardButton.Yes:
        return True
    return False if answer == QMessageBox.StandardButton.No else None


def show_crash(parent, text: str, details: str) -> None:
    """Report an unexpected error (a bug): the message, the log's path, the traceback folded away."""
    box = QMessageBox(QMessageBox.Icon.Critical, "slrfr-gui: unexpected error", text, QMessageBox.StandardButton.Ok,
                      parent)
    box.setDetailedText(details)
    box.exec()
