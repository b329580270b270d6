"""
Shared by the engagement tests: the day most of them are read on, 1 April 2026 at 13:00 in
London (BST from 29 March) — the standing engagement started on 2 March with a 21-day
threshold, so with nothing else it has been off track since 23 March. A module asks for it
with `pytestmark = pytest.mark.usefixtures("first_of_april")` and imports `NOW`.
"""

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

NOW = dt.datetime(2026, 4, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def first_of_april():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def detail_page(client, engagement):
    """The engagement page as `client`'s user reads it."""
    return client.get(reverse("engagements:detail", args=[engagement.pk]))
