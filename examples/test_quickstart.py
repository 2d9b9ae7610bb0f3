"""A first pytest-homog check: runs with `pytest --homog examples/`, skipped without --homog."""

import pytest

pytestmark = pytest.mark.homog


def test_plugin_is_on(homog_config):
    assert homog_config.enabled
