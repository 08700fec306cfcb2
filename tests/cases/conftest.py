import pytest

from .support import Setup, build_setup


@pytest.fixture
def setup(world) -> Setup:
    """The world plus what a referral needs: reason codes, two needs, a person with consent (support.py)."""
    return build_setup(world)
