"""Loading submissions: every way a file can be unusable gets a precise message."""

from __future__ import annotations

import json

import nbformat
import pytest

from grader.errors import SubmissionError
from grader.submission import load_submission
from grader.submission.loader import split_script


def _nb(tmp_path, cells, name="hw.ipynb"):
    path = tmp_path / name
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def test_notebook_cells_keep_their_kind_and_order(tmp_path):
    path = _nb(tmp_path, [nbformat.v4.new_markdown_cell("# hi"), nbformat.v4.new_code_cell("x = 1"),
                          nbformat.v4.new_raw_cell("raw")])
    sub = load_submission(path)
    assert [(c.index, c.kind, c.source) for c in sub.cells] == [(0, "markdown", "# hi"), (1, "code", "x = 1"),
                                                                (2, "raw", "raw")]
    assert sub.fmt == "ipynb" and len(sub.digest) == 64


def test_a_code_cell_says_whether_it_ran_to_its_end_in_the_students_session(tmp_path):
    v4 = nbformat.v4
    printed = v4.new_output("stream", text="3\n")
    failed = v4.new_output("error", ename="KeyboardInterrupt", evalue="", traceback=[])
    cells = [v4.new_code_cell("a = 1", execution_count=3), v4.new_code_cell("b = 2"),  # ran; never ran
             v4.new_code_cell("print(3)", outputs=[printed]),  # output but no count: saved while it ran
             v4.new_code_cell("fit()", execution_count=4, outputs=[printed, failed]),  # stopped part way
             v4.new_code_cell("print(3)", execution_count=5, outputs=[printed]), v4.new_markdown_cell("text")]
    sub = load_submission(_nb(tmp_path, cells))
    assert [c.finished for c in sub.cells] == [True, False, False, False, True, None]
    script = tmp_path / "hw.py"
    script.write_text("a = 1\n")
    assert {c.finished for c in load_submission(script).cells} == {None}  # a script cannot tell


@pytest.mark.parametrize("content,expected", [
    (b"", "the file is empty"),
    (b'{"cells": [{"cell_type": "code", "sou', "JSON error at line 1"),
    (bytes(range(256)) * 4, "neither UTF-8 nor Big5"),
    (b'{"hello": 1}', "not a Jupyter notebook"),
    (json.dumps({"cells": [], "nbformat": 9, "metadata": {}}).encode(), "unsupported notebook format version 9"),
    (json.dumps({"cells": {}, "nbformat": 4, "metadata": {}}).encode(), "its 'cells' is a JSON object, not a list"),
    (json.dumps({"cells": "x = 1", "nbformat": 4}).encode(), "its 'cells' is a JSON string, not a list"),
    (json.dumps({"cells": None, "nbformat": 4}).encode(), "its 'cells' is a JSON null, not a list"),
])
def test_broken_notebooks_are_invalid_with_a_reason(tmp_path, content, expected):
    path = tmp_path / "hw.ipynb"
    path.write_bytes(content)
    with pytest.raises(SubmissionError) as info:
        load_submission(path)
    assert expected in str(info.value)
    assert info.value.hint  # always says what to do
    chinese = info.value.explained().render("zh-TW")  # and says it in the student's language too
    assert chinese.startswith(f"{path}: ") and "\n  提示: " in chinese and "{" not in chinese
    assert info.value.reason.render("zh-TW") not in str(info.value)


def test_truncated_notebook_is_called_truncated(tmp_path):
    good = _nb(tmp_path, [nbformat.v4.new_code_cell("x = 1")]).read_bytes()
    path = tmp_path / "cut.ipynb"
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(SubmissionError, match="truncated"):
        load_submission(path)


def test_big5_script_is_decoded(tmp_path):
    path = tmp_path / "hw.py"
    path.write_bytes("# 答案：兩層卷積層\nx = 2\n".encode("big5"))
    sub = load_submission(path)
    assert sub.encoding == "cp950"
    assert "兩層卷積層" in sub.cells[0].source


def test_script_with_a_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "hw.py"
    path.write_text("x = 1\ny = (\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match=r"syntax error at line \d"):
        load_submission(path)


def test_unsupported_suffix(tmp_path):
    path = tmp_path / "hw.txt"
    path.write_text("hi")
    with pytest.raises(SubmissionError, match="unsupported file type"):
        load_submission(path)


@pytest.mark.parametrize("inside_a_folder", [False, True])
def test_a_zip_is_named_with_what_to_do(tmp_path, inside_a_folder):
    folder = tmp_path / "student" if inside_a_folder else tmp_path
    folder.mkdir(exist_ok=True)
    (folder / "inner.zip").write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip
    with pytest.raises(SubmissionError, match="a zip archive is not a notebook") as caught:
        load_submission(folder if inside_a_folder else folder / "inner.zip")
    assert "unzip it" in caught.value.hint and caught.value.where.endswith("inner.zip")


def test_script_cells_split_on_percent_markers():
    cells = split_script("import os\n# %%\nx = 1\n# %% [markdown]\n# Answer: two\n")
    assert [(c.kind, c.source) for c in cells] == [("code", "import os"), ("code", "x = 1"), ("markdown", "Answer: two")]


def test_script_cells_know_the_file_line_they_start_on():
    cells = split_script("import os\n\n# %%\n\n\ny = 1\nz = 2\n# %% [markdown]\n# text\n# %%\nw = 3\n")
    assert [(c.kind, c.line) for c in cells] == [("code", 1), ("code", 6), ("markdown", 9), ("code", 11)]
    assert split_script("\n\nx = 1")[0].line == 3


def test_script_without_markers_is_one_cell():
    assert [c.source for c in split_script("a = 1\nb = 2")] == ["a = 1\nb = 2"]


def test_percent_format_scripts_load_like_notebooks(tmp_path):
    """Magics, shell lines and prose typed into a cell are fine cell by cell, as in the .ipynb they came from."""
    path = tmp_path / "day096.py"
    path.write_text("# %%\n%matplotlib inline\n!pip list\nimport keras\n\n# %%\nQ2 答：Adadelta\n\n"
                    "# %% [markdown]\n# **Q3.** two\n", encoding="utf-8")
    sub = load_submission(path)
    assert [c.kind for c in sub.cells] == ["code", "code", "markdown"]
    assert "Q2 答：Adadelta" in sub.cells[1].source


def test_a_plain_script_may_use_magics_but_not_broken_python(tmp_path):
    ok = tmp_path / "ok.py"
    ok.write_text("%matplotlib inline\nimport keras\n  !ls\nx = 1\n", encoding="utf-8")
    assert load_submission(ok).cells[0].source.startswith("%matplotlib")
    broken = tmp_path / "broken.py"
    broken.write_text("%matplotlib inline\nx = (1,\n", encoding="utf-8")
    with pytest.raises(SubmissionError, match="syntax error at line"):
        load_submission(broken)


def test_a_folder_with_a_notebook_and_its_export_grades_the_notebook(tmp_path):
    _nb(tmp_path, [nbformat.v4.new_code_cell("x = 1")], name="Day_096.ipynb")
    (tmp_path / "Day_096.py").write_text("x = 1\n", encoding="utf-8")
    assert load_submission(tmp_path).fmt == "ipynb"


def test_lone_surrogates_become_replacement_characters(tmp_path):
    path = tmp_path / "hw.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("x")])
    path.write_text(nbformat.writes(nb).replace('"x"', '"\\ud800 Adadelta"'), encoding="utf-8")
    source = load_submission(path).cells[0].source
    assert source.endswith(" Adadelta") and "\ud800" not in source
    source.encode("utf-8")  # what every later stage does


def test_absurdly_nested_json_is_an_invalid_notebook(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_text('{"cells": ' + "[" * 100000 + "]" * 100000 + "}", encoding="utf-8")
    with pytest.raises(SubmissionError, match="nested too deeply"):
        load_submission(path)


def _raw_v4(cells, **top) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells, **top})


@pytest.mark.parametrize("cells, top", [
    ([{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": None, "execution_count": None}], {}),
    ([{"cell_type": "code", "source": "x = 1", "outputs": [{"output_type": "bogus"}], "execution_count": "7"}], {}),
    ([{"cell_type": "code", "metadata": None, "source": ["x", " = 1", None]}], {"metadata": None}),
    ([{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": []}], {"nbformat_minor": None}),
])
def test_what_the_grader_never_reads_does_not_make_a_notebook_invalid(tmp_path, cells, top):
    path = tmp_path / "hw.ipynb"
    path.write_text(_raw_v4(cells, **top))
    assert [c.source for c in load_submission(path).cells] == ["x = 1"]


def test_a_notebook_the_schema_refuses_loads_without_a_word_on_stderr(tmp_path, caplog, capfd):
    """What the grader reads is checked by the loader; nbformat's schema would only log (and cost 0.1-0.2 s)."""
    path = tmp_path / "hw.ipynb"
    path.write_text(_raw_v4([{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": []}],
                            saved_by="an editor that adds its own keys"))
    assert [c.source for c in load_submission(path).cells] == ["x = 1"]
    assert not caplog.records and capfd.readouterr().err == ""


def test_a_version_3_notebook_is_read_as_version_4(tmp_path):
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps({"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"}, "worksheets": [{
        "metadata": {}, "cells": [
            {"cell_type": "heading", "level": 1, "metadata": {}, "source": "Convolutions"},
            {"cell_type": "code", "collapsed": False, "input": "from keras.layers import Conv2D",
             "language": "python", "metadata": {}, "outputs": []},
            {"cell_type": "markdown", "metadata": {}, "source": "Q1: 32"}]}]}))
    loaded = load_submission(path)
    assert [(c.kind, c.source) for c in loaded.cells] == [
        ("markdown", "# Convolutions"), ("code", "from keras.layers import Conv2D"), ("markdown", "Q1: 32")]


def test_a_cell_that_is_not_an_object_is_named(tmp_path):
    path = tmp_path / "hw.ipynb"
    path.write_text(_raw_v4([{"cell_type": "markdown", "metadata": {}, "source": "a"}, "print(1)"]))
    with pytest.raises(SubmissionError, match="cell 2 is not a cell"):
        load_submission(path)


def test_upper_case_suffixes_from_windows_load(tmp_path):
    path = _nb(tmp_path, [nbformat.v4.new_code_cell("x = 1")], name="HW.IPYNB")
    assert load_submission(path).cells[0].source == "x = 1"
    (tmp_path / "MAIN.PY").write_text("y = 2\n")
    assert load_submission(tmp_path / "MAIN.PY").fmt == "py"


@pytest.mark.parametrize("name, says", [("hw.ipynb", "save the notebook"), ("hw.py", "save the script")])
def test_an_empty_file_gets_the_hint_for_its_kind(tmp_path, name, says):
    path = tmp_path / name
    path.write_text("\n")
    with pytest.raises(SubmissionError, match="the file is empty") as info:
        load_submission(path)
    assert says in info.value.hint


def test_a_script_over_the_size_limit_is_not_told_to_clear_outputs(tmp_path, monkeypatch):
    monkeypatch.setattr("grader.submission.loader._MAX_BYTES", 100)
    path = tmp_path / "hw.py"
    path.write_text("x = 1\n" * 50)
    with pytest.raises(SubmissionError, match="more than") as info:
        load_submission(path)
    assert "outputs" not in info.value.hint and "script" in info.value.hint
