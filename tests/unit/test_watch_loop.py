"""``grader watch``'s polling loop on a folder, without a kernel."""

from __future__ import annotations

import threading

from grader.watch import watch


def test_a_folder_is_graded_again_when_a_file_in_it_is_saved_in_place(tmp_path):
    notebook = tmp_path / "hw.ipynb"
    notebook.write_text("a", encoding="utf-8")
    runs: list[int] = []

    def run(number: int) -> None:
        runs.append(number)
        if number == 1:
            with open(notebook, "a", encoding="utf-8") as fh:  # saved in place: the folder's own mtime stays
                fh.write("b")

    loop = threading.Thread(target=watch, args=(tmp_path, 0.01, 2, run), daemon=True)
    loop.start()
    loop.join(10)  # without the fix the loop never sees the save and waits forever
    assert runs == [1, 2]
