"""The gallery panel: persons with thumbnails and image counts, editable.

Add a person, drag image files onto a person, rename (F2 or double-click) and
remove persons and images (Delete; Edit > Undo brings them back). Files that
were skipped when loading are listed with the reason. Images whose reference is
doubtful (taken as a crop from a photo, a low detector score, several faces in
the photo, a small face) are marked ⚠; the gallery review
(:mod:`slrfr_gui.gui.gallery_review`) shows why and aligns them again, undoably.
Images added by dropping are searched for their face on a worker thread.

Run on its own with fictional persons: ``python -m slrfr_gui.gui.gallery_panel``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QInputDialog, QLabel, QMessageBox, QPlainTextEdit,
                               QPushButton, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget, QDialog,
                               QDialogButtonBox, QFileDialog)

from ..errors import GalleryError
from ..gallery.gallery import Gallery, skipped_summary
from ..gallery.image import GalleryImage
from .common import to_pixmap

PERSON_ROLE = Qt.ItemDataRole.UserRole
IMAGE_ROLE = Qt.ItemDataRole.UserRole + 1


class _Tree(QTreeWidget):
    """A tree that accepts image files dropped on a person."""

    files_dropped = Signal(str, list)  # person ("" when dropped elsewhere), paths

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)

    def _urls(self, event):
        return [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()] if event.mimeData().hasUrls() else []

    def dragEnterEvent(self, event):
        if self._urls(event):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event):
        if self._urls(event):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event):
        paths = self._urls(event)
        if not paths:
            return super().dropEvent(event)
        item = self.itemAt(event.position().toPoint())
        person = "" if item is None else item.data(0, PERSON_ROLE)
        self.files_dropped.emit(person or "", paths)
        event.acceptProposedAction()


def model_only_message(n_persons: int) -> str:
    """What the window says when a model is open without its gallery."""
    return (f"Model with {n_persons} person{'s' if n_persons != 1 else ''} loaded, without its gallery: open "
            "its gallery folder (Ctrl+G) to see the images and their relighting.")


class GalleryPanel(QWidget):
    """Shows and edits a :class:`~slrfr_gui.gallery.gallery.Gallery`.

    Signals
    -------
    image_selected(object)
        A :class:`GalleryImage` (or None) the user selected.
    edited()
        The gallery changed (persons or images added, removed or renamed).
    folder_dropped(str)
        A folder was dropped on empty space: the window opens it as a gallery.
    """

    image_selected = Signal(object)
    edited = Signal()
    folder_dropped = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.gallery: Gallery | None = None
        self.model_persons: list[tuple[str, object]] = []  # (name, thumbnail or None) of a model opened alone
        self._undo: list = []  # (description, callable)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.summary = QLabel("No gallery yet: File → Open gallery folder (Ctrl+G), or drop a folder here.")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.tree = _Tree()
        self.tree.setHeaderHidden(True)
        self.tree.setIconSize(QSize(32, 38))
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.EditKeyPressed
                                  | QAbstractItemView.EditTrigger.DoubleClicked)
        self.tree.setToolTip("Drop image files on a person to add them; F2 renames; Delete removes")
        self.tree.currentItemChanged.connect(self._current_changed)
        self.tree.itemChanged.connect(self._item_renamed)
        self.tree.files_dropped.connect(self._files_dropped)
        layout.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        self.btn_add_person = QPushButton("Add person…")
        self.btn_add_person.setToolTip("Add a new person (then drop images on them)")
        self.btn_add_images = QPushButton("Add images…")
        self.btn_add_images.setToolTip("Add image files to the selected person")
        self.btn_remove = QPushButton("Remove")
        self.btn_remove.setToolTip("Remove the selected person or image (Delete; Ctrl+Z undoes)")
        for b in (self.btn_add_person, self.btn_add_images, self.btn_remove):
            buttons.addWidget(b)
        layout.addLayout(buttons)
        self.skipped = QPushButton("")
        self.skipped.setFlat(True)
        self.skipped.setStyleSheet("text-align: left; color: #b35900")
        self.skipped.clicked.connect(self.show_skipped)
        self.skipped.hide()
        layout.addWidget(self.skipped)
        self.btn_add_person.clicked.connect(self.ask_add_person)
        self.btn_add_images.clicked.connect(self.ask_add_images)
        self.btn_remove.clicked.connect(self.remove_selected)
        self._update_buttons()

    # ----------------------------------------------------------- display
    def set_gallery(self, gallery: Gallery | None) -> None:
        self.gallery = gallery
        self._undo.clear()
        self.refresh()

    def show_model_persons(self, persons) -> None:
        """With no gallery open: list the persons of the model opened (``(name, thumbnail or None)``
        pairs, thumbnails grey levels in [0, 1]), greyed, and say how to see their images."""
        self.model_persons = list(persons)
        if self.gallery is None:
            self.refresh()

    def _list_model_persons(self) -> None:
        tip = "In the model; open its gallery folder (Ctrl+G) to see the images"
        for name, thumbnail in self.model_persons:
            item = QTreeWidgetItem([name])
            item.setFlags(Qt.ItemFlag.NoItemFlags)  # nothing to select or edit: the images are not here
            item.setToolTip(0, tip)
            if thumbnail is not None:
                item.setIcon(0, to_pixmap(thumbnail))
            self.tree.addTopLevelItem(item)
        self.summary.setText(model_only_message(len(self.model_persons)))
        self.skipped.setVisible(False)

    def set_task_starter(self, start_task) -> None:
        """How to run slow reads: a callable(fn, message, on_result, name) (the window's task runner, with
        progress and cancel); without one, files are read on the calling thread."""
        self._start_task = start_task

    def refresh(self, keep: tuple | None = None) -> None:
        """Rebuild the tree from the gallery, keeping the selection where possible."""
        current = keep or self._selection_key()
        self.tree.blockSignals(True)
        self.tree.clear()
        g = self.gallery
        select = None
        if g is not None:
            for person in g.persons:
                images = g.images_of(person)
                doubtful = sum(1 for im in images if im.doubts)
                top = QTreeWidgetItem([self._person_text(person, len(images))
                                       + (f", ⚠ {doubtful} doubtful" if doubtful else "")])
                top.setData(0, PERSON_ROLE, person)
                top.setFlags(top.flags() | Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsDropEnabled)
                if images:
                    top.setIcon(0, to_pixmap(images[0].face))
                else:
                    top.setToolTip(0, "No image yet: drop image files here")
                for im in images:
                    child = QTreeWidgetItem([("⚠ " if im.doubts else "") + im.name])
                    child.setData(0, PERSON_ROLE, person)
                    child.setData(0, IMAGE_ROLE, id(im))
                    child.setIcon(0, to_pixmap(im.face))
                    child.setFlags(child.flags() | Qt.ItemFlag.ItemIsEditable)
                    child.setToolTip(0, "\n".join([im.source or im.name, f"{im.how}"
                                                    + (f" ({im.method})" if im.method else "")] + im.doubts))
                    top.addChild(child)
                    if current == (person, id(im)):
                        select = child
                self.tree.addTopLevelItem(top)
                if current == (person, None):
                    select = top
            n_img, n_per = len(g.images), len(g.persons)
            root = f"{g.root}\n" if g.root else ""
            self.summary.setText(f"{root}{n_per} persons, {n_img} images")
            n_skip = len(g.skipped) + len(g.empty_persons)
            self.skipped.setText(f"⚠ {skipped_summary(len(g.skipped), len(g.empty_persons))}: show…" if n_skip
                                 else "")
            self.skipped.setVisible(bool(n_skip))
        elif self.model_persons:
            self._list_model_persons()
        self.tree.blockSignals(False)
        if select is not None:
            self.tree.setCurrentItem(select)
        self._update_buttons()

    @staticmethod
    def _person_text(person: str, n: int) -> str:
        return f"{person}  ({n} image{'s' if n != 1 else ''})"

    def _selection_key(self):
        item = self.tree.currentItem()
        if item is None:
            return None
        return (item.data(0, PERSON_ROLE), item.data(0, IMAGE_ROLE))

    def _image_by_id(self, key):
        if self.gallery is None or key is None:
            return None
        return next((im for im in self.gallery.images if id(im) == key), None)

    def selected_person(self) -> str | None:
        item = self.tree.currentItem()
        return None if item is None else item.data(0, PERSON_ROLE)

    def selected_image(self) -> GalleryImage | None:
        item = self.tree.currentItem()
        if item is None:
            return None
        image = self._image_by_id(item.data(0, IMAGE_ROLE))
        if image is None and self.gallery is not None and item.data(0, PERSON_ROLE):
            images = self.gallery.images_of(item.data(0, PERSON_ROLE))
            image = images[0] if images else None
        return image

    def select_first_image(self) -> None:
        top = self.tree.topLevelItem(0)
        if top is not None:
            self.tree.setCurrentItem(top.child(0) if top.childCount() else top)

    def _current_changed(self, *_):
        self._update_buttons()
        self.image_selected.emit(self.selected_image())

    def _update_buttons(self):
        has = self.gallery is not None
        sel = self.tree.currentItem() is not None
        self.btn_add_person.setEnabled(True)
        self.btn_add_images.setEnabled(has and sel)
        self.btn_remove.setEnabled(has and sel)

    # ------------------------------------------------------------- edits
    def _ensure_gallery(self) -> Gallery:
        if self.gallery is None:
            self.gallery = Gallery()
        return self.gallery

    def _fail(self, exc: Exception) -> None:
        QMessageBox.warning(self, "Gallery", str(exc))

    def add_person(self, name: str) -> str | None:
        try:
            name = self._ensure_gallery().add_person(name)
        except GalleryError as exc:
            self._fail(exc)
            return None
        self.refresh(keep=(name, None))
        self.edited.emit()
        return name

    def ask_add_person(self) -> None:
        name, ok = QInputDialog.getText(self, "Add person", "Name of the new person:")
        if ok and name.strip():
            self.add_person(name)

    def ask_add_images(self) -> None:
        person = self.selected_person()
        if not person:
            return
        paths, _ = QFileDialog.getOpenFileNames(
            self, f"Add images to {person}", "",
            "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.pgm *.ppm *.gif *.webp);;All files (*)")
        if paths:
            self.add_files_in_background(person, paths)

    def add_files(self, person: str, paths) -> int:
        """Add image files to ``person``, each searched and aligned (on this thread); unreadable ones are
        reported. Returns the number added."""
        gallery = self._ensure_gallery()
        added, skipped = gallery.add_files(person, [Path(p) for p in paths])
        return self._added(gallery, added, skipped)

    def add_files_in_background(self, person: str, paths) -> None:
        """Add image files to ``person``, searched and aligned on a worker thread (the window's task,
        with progress and cancel); as :meth:`add_files` once they are read."""
        start = getattr(self, "_start_task", None)
        if start is None:
            self.add_files(person, paths)
            return
        from ..gallery.gallery_align import read_gallery_file

        paths = [Path(p) for p in paths]

        def work(progress, should_stop):
            out = []
            for i, path in enumerate(paths):
                out.append((path, *read_gallery_file(path, "auto", should_stop=should_stop, person=person)))
                progress(i + 1, len(paths), "search")
            return out

        def done(results):
            gallery = self._ensure_gallery()
            if person not in gallery.persons:
                gallery.add_person(person)
            added = [im for _, im, _ in results if im is not None]
            for im in added:
                im.person = person
                gallery.images.append(im)
            self._added(gallery, added, [(p, why) for p, im, why in results if im is None])

        start(work, f"Searching {len(paths)} image(s) for faces…", done, "add images")

    def _added(self, gallery, added, skipped) -> int:
        if skipped:
            gallery.skipped.extend(skipped)
            QMessageBox.warning(self, "Some files were not added",
                                "\n".join(f"{p.name}: {why}" for p, why in skipped))
        if added:
            self._undo.append((f"add {len(added)} image(s) to {added[0].person}",
                               lambda: [gallery.remove_image(im) for im in added]))
            self.refresh(keep=(added[0].person, id(added[-1])))
            self.edited.emit()
        else:
            self.refresh()
        return len(added)

    def _files_dropped(self, person: str, paths: list) -> None:
        folders = [p for p in paths if Path(p).is_dir()]
        if not person and folders:
            self.folder_dropped.emit(folders[0])
            return
        if not person:
            QMessageBox.information(self, "Add images", "Drop image files on a person to add them to that person.")
            return
        self.add_files_in_background(person, [p for p in paths if not Path(p).is_dir()])

    def remove_selected(self) -> None:
        item = self.tree.currentItem()
        if item is None or self.gallery is None:
            return
        g = self.gallery
        person = item.data(0, PERSON_ROLE)
        image = self._image_by_id(item.data(0, IMAGE_ROLE))
        if image is not None:
            index = g.images.index(image)
            g.remove_image(image)
            self._undo.append((f"remove image {image.name}", lambda: g.restore_image(index, image)))
        else:
            position = g.persons.index(person)
            removed = g.remove_person(person)
            self._undo.append((f"remove {person}", lambda: g.restore_person(position, person, removed)))
        self.refresh()
        self.edited.emit()

    def apply_alignment(self, image: GalleryImage, result) -> None:
        """Give ``image`` a new reference (an AlignedImage from the gallery review), undoably."""
        if self.gallery is None:
            return
        gallery = self.gallery
        before = gallery.apply_alignment(image, result)
        self._undo.append((f"align {image.name} again", lambda: gallery.restore_alignment(image, before)))
        self.refresh(keep=(image.person, id(image)))
        self.edited.emit()

    def _item_renamed(self, item: QTreeWidgetItem, _column: int) -> None:
        if self.gallery is None:
            return
        g = self.gallery
        text = item.text(0)
        person = item.data(0, PERSON_ROLE)
        image = self._image_by_id(item.data(0, IMAGE_ROLE))
        try:
            if image is not None:
                if text != image.name:
                    old = image.name
                    g.rename_image(image, text)
                    self._undo.append((f"rename image {old}", lambda: setattr(image, "name", old)))
            else:
                new = text.rsplit("  (", 1)[0].strip()
                if new != person:
                    g.rename_person(person, new)
                    self._undo.append((f"rename {person}", lambda: g.rename_person(new, person)))
                    person = new
        except GalleryError as exc:
            self._fail(exc)
        self.refresh(keep=(person, None if image is None else id(image)))
        self.edited.emit()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def undo_text(self) -> str:
        return self._undo[-1][0] if self._undo else ""

    def undo(self) -> None:
        """Undo the last edit."""
        if not self._undo:
            return
        _, action = self._undo.pop()
        action()
        self.refresh()
        self.edited.emit()

    def show_skipped(self) -> None:
        if self.gallery is None:
            return
        dialog = QDialog(self)
        dialog.setWindowTitle("Files not used")
        layout = QVBoxLayout(dialog)
        text = QPlainTextEdit(self.gallery.skipped_report() or "Nothing was skipped.")
        text.setReadOnly(True)
        layout.addWidget(text)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(dialog.reject)
        layout.addWidget(box)
        dialog.resize(640, 320)
        dialog.open()
        self._skipped_dialog = dialog


if __name__ == "__main__":  # pragma: no cover - manual preview
    import sys

    from PySide6.QtWidgets import QApplication

    from .common import sample_gallery

    app = QApplication(sys.argv)
    panel = GalleryPanel()
    panel.set_gallery(sample_gallery())
    panel.resize(320, 600)
    panel.show()
    sys.exit(app.exec())
