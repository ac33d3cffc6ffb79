"""newsarchive.toml: lookup order, validation, relative paths, and CLI-over-config."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from newsarchive.cli import main
from newsarchive.config import Config, apply_config, find_config, load_config, parse_config, pick
from newsarchive.errors import UsageError
from newsarchive.options import Options

SEED = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))[2]


def cli(args: list[str], capsys, monkeypatch) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["newsarchive", *args])
    with pytest.raises(SystemExit) as exit_info:
        main()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_no_config_is_empty():
    assert load_config() == Config()


def test_current_folder_beats_xdg(tmp_path):
    xdg = write(tmp_path / "xdg" / "newsarchive" / "newsarchive.toml", 'publisher = "XDG"\n')
    assert find_config() == xdg
    assert load_config().publisher == "XDG"
    write(tmp_path / "newsarchive.toml", 'publisher = "Here"\n')
    assert load_config().publisher == "Here"
    explicit = write(tmp_path / "other.toml", 'publisher = "Explicit"\n')
    assert load_config(explicit).publisher == "Explicit"


def test_values_types_and_relative_paths(tmp_path):
    path = write(
        tmp_path / "conf" / "newsarchive.toml",
        'publisher = "P"\nlicense = "CC BY 4.0"\nscript = "hant"\njobs = 3\n'
        'font = "fonts/x.ttc:2"\nmetadata = "side.csv"\nformats = ["tei", "pdf"]\n'
        '[archive]\nroot = "/srv/ocfl"\n',
    )
    cfg = parse_config(path)
    assert cfg.licence == "CC BY 4.0"  # the American spelling is accepted
    assert cfg.jobs == 3 and cfg.script == "hant" and cfg.to == "tei,pdf"
    assert cfg.font == f"{tmp_path}/conf/fonts/x.ttc:2"
    assert cfg.metadata == tmp_path / "conf" / "side.csv"
    assert cfg.archive_root == Path("/srv/ocfl")


@pytest.mark.parametrize(
    "text", ['licnece = "x"\n', "jobs = 0\n", 'jobs = "4"\n', "publisher = 3\n", "= broken",
             "[archive]\nroot = 3\n", "[archive.root]\nx = 1\n",
             "[licence]\nx = 1\n"]
)
def test_bad_config_is_a_usage_error(tmp_path, text):
    with pytest.raises(UsageError) as info:
        parse_config(write(tmp_path / "newsarchive.toml", text))
    assert info.value.exit_code == 2
    assert "newsarchive.toml" in str(info.value)


@pytest.mark.parametrize(
    ("text", "key", "hint"),
    [
        ("[archive]\nrot = 'x'\n", "archive.rot", "archive.root"),  # a typo inside a table
        ("[archive]\nroot = 'x'\nextra = 1\n", "archive.extra", None),
        ("[archiv]\nroot = 'x'\n", "archiv", "archive"),  # a misspelt table
        ("[review]\nwhatever = 1\n", "review", None),  # a table no command reads
        ("archive = 'x'\n", "archive", "archive_root"),
        ('licnece = "x"\n', "licnece", "licence"),
    ],
)
def test_unknown_setting_names_the_file_and_the_key(tmp_path, text, key, hint):
    path = write(tmp_path / "conf" / "newsarchive.toml", text)
    with pytest.raises(UsageError) as info:
        parse_config(path)
    message = str(info.value)
    assert info.value.exit_code == 2
    assert message.startswith(f"{path}: unknown setting {key!r}"), message
    assert (f"did you mean {hint!r}" in message) if hint else ("did you mean" not in message)


def test_a_typo_in_a_table_stops_convert_before_anything_is_written(
    tmp_path, capsys, monkeypatch
):
    shutil.copy(SEED, tmp_path / "a.txt")
    write(tmp_path / "newsarchive.toml", "[archive]\nrot = '/srv/ocfl'\n")
    code, _, err = cli(["convert", "a.txt", "-o", "out", "--to", "tei"], capsys, monkeypatch)
    assert code == 2
    assert "newsarchive.toml: unknown setting 'archive.rot'" in err
    assert not (tmp_path / "out").exists()


def test_command_line_beats_config_beats_default():
    assert pick("hans", "hant", "keep") == "hans"
    assert pick(None, "hant", "keep") == "hant"
    assert pick(None, None, "keep") == "keep"
    opts = apply_config(Options(licence="CLI"), Config(publisher="P", licence="C"))
    assert (opts.publisher, opts.licence) == ("P", "CLI")


def test_convert_uses_config_defaults(tmp_path, capsys, monkeypatch):
    shutil.copy(SEED, tmp_path / "a.txt")
    write(tmp_path / "newsarchive.toml", 'licence = "CC-BY-Config"\nto = "tei"\njobs = 1\n')
    code, _, err = cli(["convert", "a.txt", "-o", "out"], capsys, monkeypatch)
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.name[0] != ".") == ["a.tei.xml"]
    assert "CC-BY-Config" in (tmp_path / "out" / "a.tei.xml").read_text(encoding="utf-8")
    # The command line wins over the config file.
    code, _, err = cli(["convert", "a.txt", "-o", "out2", "--to", "docx"], capsys, monkeypatch)
    assert code == 0, err
    assert (tmp_path / "out2" / "a.docx").is_file()
    assert not (tmp_path / "out2" / "a.tei.xml").exists()
