import pytest
from rest_framework.test import APIClient

from accounts.models import ApiToken


@pytest.fixture
def token_for(db):
    """token_for(user, write=True, **kw) -> the token's text, as its holder would send it."""

    def make(user, write=True, **kwargs):
        return ApiToken.issue(user=user, name="test", write_enabled=write, **kwargs)[1]

    return make


@pytest.fixture
def api_as(token_for):
    """api_as(user, write=True) -> an APIClient sending a bearer token of `user`."""

    def make(user, write=True):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(user, write)}")
        return client

    return make
