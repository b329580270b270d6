"""
Schemathesis against a live server, from the schema it publishes: every operation, as an
administrator and as a coach, with data generated from the schema. No answer may be a 5xx,
and every answer must conform to the schema (status codes, content types, bodies). Bounded
(a few examples per operation, no shrinking) so that the suite stays fast.
"""

import datetime as dt

import pytest
import schemathesis
import time_machine
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from tests import factories

EXAMPLES = 3
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
START = dt.datetime(2026, 4, 1, 9, tzinfo=dt.UTC)


@pytest.fixture
def populated(transactional_db, engagement, global_admin, coach, owner_company):
    """The standing roles, with sessions, a discovery call and a flip to look at."""
    factories.SessionFactory(engagement=engagement)
    matching = factories.EngagementFactory(company=owner_company, owner=global_admin,
                                           matching=True)
    factories.DiscoveryCallFactory(engagement=matching)
    return {name: ApiToken.issue(user=user, name="schemathesis", write_enabled=True)[1]
            for name, user in (("administrator", global_admin), ("coach", coach))}


@pytest.mark.parametrize("role", ["administrator", "coach"])
def test_every_operation_answers_as_its_schema_says(live_server, populated, role):
    # The schema takes a few seconds to generate on a loaded machine.
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/", timeout=120)
    with time_machine.travel(START):  # ticking: the server thread's clock moves on with it
        headers = {"Authorization": f"Bearer {populated[role]}"}
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 20
        for operation in operations:
            run_operation(operation, live_server.url, headers)


def run_operation(operation, base_url, headers):
    @given(case=operation.as_strategy())
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck))
    def check(case):
        case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=30)

    check()
