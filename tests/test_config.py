from pathlib import Path

import pytest

from dedupe.config import CleanConfig, KeepConfig, NearConfig, PipelineConfig
from dedupe.errors import ConfigError


def test_from_toml_reads_sections_and_overrides_win(tmp_path: Path) -> None:
    path = tmp_path / "dedupe.toml"
    path.write_text(
        '[near]\nthreshold = 0.6\nnum_perm = 64\n[clean]\ndrop_pattern = ["^x$"]\n',
        encoding="utf-8",
    )
    config = PipelineConfig.from_toml(path, near={"threshold": 0.9})
    assert config.near.threshold == 0.9
    assert config.near.num_perm == 64
    assert config.clean.drop_pattern == ("^x$",)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[nears]\n", "unknown section"),
        ("[near]\nthresold = 0.5\n", "unknown key 'thresold'"),
        ("[near]\nthreshold = 2.0\n", "threshold must be"),
        ("not toml = = 1", "not valid TOML"),
    ],
    ids=["section", "key", "range", "syntax"],
)
def test_from_toml_rejects_bad_files_with_config_error(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        PipelineConfig.from_toml(path)


def test_from_toml_missing_file_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        PipelineConfig.from_toml(tmp_path / "none.toml")


def test_near_config_rejects_bands_times_rows_over_num_perm() -> None:
    with pytest.raises(ConfigError, match="must not exceed num_perm"):
        NearConfig(num_perm=64, bands=10, rows=8)


def test_near_config_needs_bands_and_rows_together() -> None:
    with pytest.raises(ConfigError, match="both bands and rows"):
        NearConfig(bands=10)


def test_keep_config_source_priority_needs_a_list() -> None:
    with pytest.raises(ConfigError, match="needs source_priority"):
        KeepConfig(keep="source-priority")


def test_clean_config_rejects_invalid_regex() -> None:
    with pytest.raises(ConfigError, match="not a valid regex"):
        CleanConfig(drop_pattern=("(unclosed",))


def test_to_dict_round_trips_through_from_dict() -> None:
    config = PipelineConfig(near=NearConfig(threshold=0.7), keep=KeepConfig(keep="first"))
    assert PipelineConfig.from_dict(config.to_dict()) == config


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[input]\nbatch_size = 2.5\n", r"\[input\] batch_size must be an integer, got 2.5"),
        ("[near]\nnum_perm = 64.5\n", r"\[near\] num_perm must be an integer, got 64.5"),
        ("[near]\nseed = -1\n", "seed must be between 0 and 2"),
        ("[near]\nthreshold = 'x'\n", r"\[near\] threshold must be a number, got 'x' \(str\)"),
        ("[near]\nverify = 1\n", "verify must be true or false"),
        ("[near]\nbands = 'ten'\n", "bands must be an integer, got 'ten'"),
        ("[clean]\ndrop_pattern = '^x'\n", "drop_pattern must be a list of strings"),
        ("[keep]\nkeep = 'newest'\n", "keep must be one of 'longest'"),
        ("[input]\nid_column = 'body'\ntext_column = 'body'\n", "must be different fields"),
    ],
    ids=[
        "float-batch",
        "float-perm",
        "negative-seed",
        "str-float",
        "int-bool",
        "str-int",
        "str-list",
        "literal",
        "id-is-text",
    ],
)
def test_from_toml_wrong_type_or_value_names_file_key_and_type(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        PipelineConfig.from_toml(path)


def test_from_toml_integer_for_a_float_is_a_float(tmp_path: Path) -> None:
    path = tmp_path / "dedupe.toml"
    path.write_text("[near]\nthreshold = 1\n", encoding="utf-8")
    assert PipelineConfig.from_toml(path).near.threshold == 1.0


def test_from_toml_folder_raises_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"is a folder; pass a \.toml file"):
        PipelineConfig.from_toml(tmp_path)


def test_clean_config_accepts_what_the_regex_engine_supports() -> None:
    assert CleanConfig(drop_pattern=(r"^\p{Lu}+$",)).drop_pattern == (r"^\p{Lu}+$",)


def test_clean_config_rejects_look_around_before_the_run() -> None:
    with pytest.raises(ConfigError, match="no look-around"):
        CleanConfig(keep_pattern=("(?<=a)b",))
