"""The feeds commands refuse what they cannot do in one clear sentence and exit 2 — no traceback, no
import recorded, no partial file — and say what a person needs next."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from moralbank.feeds import service as feeds

from .conftest import City

NAME = "court_enforcement"


@pytest.fixture
def run(city: City, monkeypatch: pytest.MonkeyPatch):  # noqa: ANN201
    """``run(*args)``: the CLI's result against the test city."""
    import moralbank.cli.feeds as cli_feeds
    from moralbank.cli.main import app

    monkeypatch.setattr(cli_feeds, "container", lambda: city.container)
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, ["feeds", *args])

    return invoke


def said(result: Result) -> str:
    """What the command printed, with the console's line wrapping (and the help's boxes) undone."""
    return " ".join(result.output.replace("│", " ").split())


def refused(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return said(result)


def imports(city: City) -> int:
    with city.container.uow(write=False) as uow:
        return len(feeds.recent_imports(uow, interface=NAME, limit=1000))


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "empty.csv: the file is empty: no header row"),
        ("empty.jsonl", b"", "empty.jsonl: the file is empty: no records"),
        ("blank.csv", b"\n\n\n", "blank.csv, line 1: the header lacks the columns record_id"),
        ("corrupt.xlsx", b"not a zip\n", "corrupt.xlsx: not a valid XLSX workbook"),
        ("empty.xlsx", b"", "empty.xlsx: not a valid XLSX workbook"),
    ],
)
def test_an_empty_or_broken_file_is_refused_and_no_import_is_recorded(
    city: City, run, tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    for args in ([], ["--json"]):
        assert message in refused(run("import", NAME, str(path), *args))
    assert imports(city) == 0


def test_a_header_without_rows_is_imported_with_a_notice(city: City, run, tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(",".join(feeds.get_interface(NAME).field_names) + "\n", encoding="utf-8")
    r = run("import", NAME, str(path))
    assert r.exit_code == 0, r.output
    assert "header.csv has no data rows" in said(r)
    r = run("import", NAME, str(path), "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["received"] == 0 and set(out) == {
        "import_id",
        "interface",
        "file",
        "received",
        "accepted",
        "duplicates",
        "quarantined",
        "held_for_consent",
        "corrections",
    }
    assert imports(city) == 2


@pytest.mark.parametrize("encoding", ["latin-1", "ascii", "utf-16"])
def test_a_sample_in_another_encoding_is_refused_and_nothing_is_written(
    run, tmp_path: Path, encoding: str
) -> None:
    out = tmp_path / "samples" / "s.csv"
    out.parent.mkdir()
    said_ = refused(run("sample", NAME, "--rows", "5", "--out", str(out), "--encoding", encoding))
    assert f"'{encoding}' is not an encoding the import reads (utf-8, utf-8-sig, gb18030)" in said_
    assert list(out.parent.iterdir()) == []


def test_a_sample_into_a_missing_directory_is_refused(run, tmp_path: Path) -> None:
    out = tmp_path / "nodir" / "x.csv"
    assert f"x.csv: the directory '{out.parent}' does not exist" in refused(
        run("sample", NAME, "--out", str(out))
    )


def test_sample_help_names_the_encodings(run) -> None:
    assert "utf-8, utf-8-sig, gb18030" in said(run("sample", "--help"))


@pytest.mark.parametrize("under", [False, True])
def test_export_into_a_file_is_refused(
    run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, under: bool
) -> None:
    monkeypatch.chdir(tmp_path)  # a short path: the error box would wrap a long one
    Path("afile").write_text("kept\n")
    said_ = refused(run("export", "--out", "afile/exports" if under else "afile"))
    assert "--out must be a directory: afile is a file" in said_
    assert Path("afile").read_text() == "kept\n"


def test_import_help_names_the_real_batch_size(run) -> None:
    from moralbank.feeds.importer import DEFAULT_BATCH

    text = said(run("import", "--help"))
    assert f"default {DEFAULT_BATCH:,}" in text and "20,000" not in text.replace(f"{DEFAULT_BATCH:,}", "")


@pytest.mark.parametrize("size", ["0", "-5"])
def test_a_batch_size_below_one_is_refused(city: City, run, tmp_path: Path, size: str) -> None:
    path = city.write(tmp_path / "c.csv", NAME, 3)
    assert "--batch-size" in refused(run("import", NAME, str(path), "--batch-size", size))
    assert imports(city) == 0
    r = run("import", NAME, str(path), "--batch-size", "2", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["received"] == 3


def test_quarantined_rows_are_pointed_to_and_listed_without_none(city: City, run, tmp_path: Path) -> None:
    path = city.write(tmp_path / "bad.csv", NAME, 40, bad=16)
    r = run("import", NAME, str(path))
    assert r.exit_code == 0, r.output
    assert said(r).endswith(f"16 rows quarantined: see `moralbank feeds quarantine list --interface {NAME}`")
    rows = json.loads(run("quarantine", "list", "--interface", NAME, "--json").stdout)
    ragged = sum(q["reason"] == "ragged_row" for q in rows)
    assert len(rows) == 16 and ragged and all(q["field"] is None for q in rows if q["reason"] == "ragged_row")
    listed = run("quarantine", "list", "--interface", NAME)
    assert listed.exit_code == 0, listed.output
    assert said(listed).count("field —: ragged_row") == ragged and "None" not in said(listed)
