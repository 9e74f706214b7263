"""Unpacking a hostile zip: every bad member is refused and reported, the good ones unpacked."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from grader.batch.archive import ZipLimits, member_path, unpack, unpack_cached
from grader.errors import UsageError


def _zip(path: Path, members: list[tuple[str, bytes] | zipfile.ZipInfo | tuple[zipfile.ZipInfo, bytes]],
         compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for member in members:
            if isinstance(member, tuple) and isinstance(member[0], zipfile.ZipInfo):
                zf.writestr(member[0], member[1])
            else:
                zf.writestr(*member)
    return path


def _symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def _what(result) -> dict[str, str]:
    return {p["where"].split(":", 1)[1]: p["what"] for p in result.problems}


@pytest.mark.parametrize("name, reason", [
    ("../evil.ipynb", "climbs out"), ("a/../../evil.ipynb", "climbs out"), ("..\\evil.ipynb", "climbs out"),
    ("/etc/evil.ipynb", "absolute"), ("C:/evil.ipynb", "absolute"), ("", "empty"),
])
def test_member_paths_that_escape_are_refused(name, reason):
    with pytest.raises(ValueError, match=reason):
        member_path(name)


def test_member_path_keeps_nested_names():
    assert str(member_path("class/12345/hw.ipynb")) == "class/12345/hw.ipynb"
    assert str(member_path("./a//b.py")) == "a/b.py"


def test_bad_members_are_reported_and_the_rest_unpacked(tmp_path):
    bomb = b"\0" * (3 * 1024 * 1024)  # 3 MiB of zeros deflate to a few KiB: a ratio in the thousands
    archive = _zip(tmp_path / "class.zip", [
        ("good/alice.ipynb", b"CORRECT"),
        ("../../escape.ipynb", b"x"),
        ("/abs.ipynb", b"x"),
        _symlink("link.ipynb", "/etc/passwd"),
        ("bomb.ipynb", bomb),
        ("__MACOSX/._alice.ipynb", b"junk"),
        ("bob.py", b"WRONG"),
    ])
    dest = tmp_path / "out"
    result = unpack(archive, dest, ZipLimits(max_ratio=100))
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*") if p.is_file()) == \
        ["bob.py", "good/alice.ipynb"]
    what = _what(result)
    assert "climbs out" in what["../../escape.ipynb"] and "absolute" in what["/abs.ipynb"]
    assert "symbolic link" in what["link.ipynb"] and "zip bomb" in what["bomb.ipynb"]
    assert result.files == 2 and not (tmp_path / "escape.ipynb").exists()
    assert not any(p.is_symlink() for p in dest.rglob("*"))


def test_size_caps_count_inflated_bytes(tmp_path):
    archive = _zip(tmp_path / "big.zip", [("a.py", b"1" * 5000), ("b.py", b"2" * 5000), ("c.py", b"3" * 10)],
                   compression=zipfile.ZIP_STORED)
    result = unpack(archive, tmp_path / "out", ZipLimits(max_total=8000, max_member=6000))
    assert result.files == 2 and "more than 8,000 bytes" in _what(result)["b.py"]
    result = unpack(archive, tmp_path / "out2", ZipLimits(max_member=1000))
    assert "per-file limit" in _what(result)["a.py"] and result.files == 1


def test_a_member_that_lies_about_its_size_is_cut_off(tmp_path):
    archive = _zip(tmp_path / "liar.zip", [("a.py", b"A" * 50_000)], compression=zipfile.ZIP_STORED)
    data = bytearray(archive.read_bytes())
    # patch the declared uncompressed size in the central directory to 10 bytes (offset 24 in the record)
    central = data.rfind(b"PK\x01\x02")
    data[central + 24:central + 28] = (10).to_bytes(4, "little")
    archive.write_bytes(bytes(data))
    result = unpack(archive, tmp_path / "out")
    assert result.files == 0 and "a.py" in _what(result)
    assert not (tmp_path / "out" / "a.py").exists()


def test_duplicate_members_do_not_overwrite(tmp_path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name we are making on purpose
        archive = _zip(tmp_path / "dup.zip", [("a.py", b"first"), ("a.py", b"second")])
    result = unpack(archive, tmp_path / "out")
    assert (tmp_path / "out" / "a.py").read_bytes() == b"first" and "same name" in _what(result)["a.py"]


def test_too_many_members_or_not_a_zip_refuses_the_archive(tmp_path):
    archive = _zip(tmp_path / "many.zip", [(f"{i}.py", b"x") for i in range(20)])
    with pytest.raises(UsageError, match="20 entries"):
        unpack(archive, tmp_path / "out", ZipLimits(max_members=10))
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"this is not a zip")
    with pytest.raises(UsageError, match="not a readable zip"):
        unpack(fake, tmp_path / "out2")


def test_unpack_is_cached_with_its_problems(tmp_path):
    archive = _zip(tmp_path / "c.zip", [("a.py", b"CORRECT"), ("../x.py", b"x")])
    first = unpack_cached(archive, tmp_path / "work")
    (first.root / "a.py").write_text("changed")  # a reused unpack is not unpacked again
    second = unpack_cached(archive, tmp_path / "work")
    assert second.root == first.root and second.problems == first.problems and len(second.problems) == 1
    assert (second.root / "a.py").read_text() == "changed"


def test_timestamps_are_kept_for_newest_first(tmp_path):
    old = zipfile.ZipInfo("old.py", date_time=(2020, 1, 1, 0, 0, 0))
    new = zipfile.ZipInfo("new.py", date_time=(2024, 1, 1, 0, 0, 0))
    archive = _zip(tmp_path / "t.zip", [(old, b"x"), (new, b"y")])
    unpack(archive, tmp_path / "out")
    assert (tmp_path / "out" / "new.py").stat().st_mtime > (tmp_path / "out" / "old.py").stat().st_mtime
