"""No request to the JSON API gets a server error: Schemathesis generates requests from the app's own
OpenAPI document (valid and invalid values: huge integers, control characters, bytes that are not
UTF-8, odd dates) for every operation, as the city admin and as a resident, on both backends.

Derandomized, so a run is repeatable and CI cannot flake; a deeper exploratory run is
``MORALBANK_FUZZ_EXAMPLES=200 pytest tests/integration/web/test_api_fuzz.py`` (fresh examples each
run with ``MORALBANK_FUZZ_RANDOM=1``).
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moralbank.auth.domain import Role
from moralbank.ledger import service as ledger
from moralbank.web.app import create_app
from moralbank.web.deps import SESSION_COOKIE
from tests.integration.evaluation.conftest import build_world, create_staff
from tests.integration.ledger.conftest import deed
from tests.support import create_user, session_token

EXAMPLES = int(os.environ.get("MORALBANK_FUZZ_EXAMPLES", "8"))
RANDOM = os.environ.get("MORALBANK_FUZZ_RANDOM") == "1"


@pytest.mark.parametrize("who", ["admin", "resident"])
def test_no_request_to_the_api_gets_a_server_error(container, who: str) -> None:  # noqa: ANN001
    world = build_world(container)
    create_staff(container)
    create_user(container, "admin", Role.CITY_ADMIN, None)
    a = world.ids["A"]
    with container.uow() as uow:
        ledger.post(uow, [deed(i, resident=a) for i in range(1, 6)])
        uow.commit()
    token = (
        session_token(container, username="admin")
        if who == "admin"
        else session_token(container, resident_id=a)
    )
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(container))
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50  # the whole API, not an empty document

    for operation in operations:
        try:
            _requests(operation.as_strategy(), token, failures)()
        except Exception as e:  # noqa: BLE001 - an exception escaping the app is a server error too
            failures.append(f"{operation.method.upper()} {operation.path}: {type(e).__name__}: {e}")
    assert failures == [], "\n".join(failures[:20])


def _requests(strategy: st.SearchStrategy, token: str, failures: list[str]):  # noqa: ANN202
    """A Hypothesis test sending ``EXAMPLES`` generated requests of one operation."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def requests(data: st.DataObject) -> None:
        case = data.draw(strategy)
        r = case.call(headers={"Cookie": f"{SESSION_COOKIE}={token}"})
        if r.status_code >= 500:
            failures.append(f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}")

    return requests
