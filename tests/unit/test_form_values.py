"""The one parser for yes/no and whole numbers typed into forms, queries and settings."""

import pytest

from app.config import load_config
from app.form_values import truthy, whole_number, yes_or_no


@pytest.mark.parametrize("text", ["1", "true", "TRUE", "True", "yes", "Yes", "on", "ON", " on ", True, 1])
def test_yes_words(text):
    assert yes_or_no(text) is True
    assert truthy(text) is True


@pytest.mark.parametrize("text", ["0", "false", "False", "no", "NO", "off", " off ", False, 0])
def test_no_words(text):
    assert yes_or_no(text) is False
    assert truthy(text) is False


@pytest.mark.parametrize("text", [None, "", "2", "y", "enabled", "tru", "١"])
def test_other_words_are_neither_and_not_truthy(text):
    assert yes_or_no(text) is None
    assert truthy(text) is False


def test_whole_number():
    assert whole_number(" 12 ", 20) == 12
    assert whole_number("21", 20) is None
    assert whole_number("３", 20) is None
    assert whole_number("0", 20, minimum=1) is None


@pytest.mark.parametrize("word", ["1", "true", "Yes", "ON"])
def test_config_flags_take_the_same_words(tmp_path, word):
    config = load_config(str(tmp_path), env={"HTTPS": word, "SECRET_KEY": "x" * 32})
    assert config["HTTPS"] is True
