import pytest

from tests.cases.support import Setup, build_setup


@pytest.fixture
def setup(world) -> Setup:
    """The world plus what a referral needs (tests/cases/support.py): a person with consent, needs, reason codes."""
    return build_setup(world)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Uploaded consent forms go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
