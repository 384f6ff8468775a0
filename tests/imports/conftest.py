import pytest
import time_machine

from tests.web.support import NOW


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Uploaded exports are kept under a temporary media root."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
