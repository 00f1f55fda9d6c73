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
        ('[near]\nthreshold = "high"\n', '[near] threshold in {path} must be a number, got "high"'),
        ("[near]\nnum_perm = 12.5\n", "[near] num_perm in {path} must be a whole number, got 12.5"),
        ("[near]\nverify = 1\n", "[near] verify in {path} must be true or false, got 1"),
        ('[near]\nbands = "8"\n', '[near] bands in {path} must be a whole number, got "8"'),
        ('[clean]\ndrop_pattern = "^x$"\n', 'must be a list of strings, got "^x$"'),
        ("[input]\nid_column = 3\n", "[input] id_column in {path} must be a string, got 3"),
        ('[output]\nformat = "xlsx"\n', "must be one of 'parquet', 'jsonl', got \"xlsx\""),
    ],
    ids=["float", "int", "bool", "optional-int", "list", "optional-str", "literal"],
)
def test_from_toml_names_key_expected_type_and_file(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "x.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        PipelineConfig.from_toml(path)
    assert message.format(path=path) in str(caught.value)


def test_from_toml_accepts_a_whole_number_for_a_float(tmp_path: Path) -> None:
    path = tmp_path / "x.toml"
    path.write_text("[near]\nthreshold = 1\nbands = 16\nrows = 8\n", encoding="utf-8")
    assert PipelineConfig.from_toml(path).near.threshold == 1
