"""The state a job shares with the modules it calls: set for a block, back to before after it."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from crm.models import OutboxMessage
from crm.services.job_state import job_scope, job_state


def test_a_scope_sets_fields_for_its_block_and_restores_them_even_on_error() -> None:
    session = Session()
    assert job_state(session).skip_dispatch == ()
    with job_scope(session, skip_dispatch=(OutboxMessage,), suppressed={"a@example.com"}) as state:
        assert job_state(session) is state
        assert state.skip_dispatch == (OutboxMessage,)
        with pytest.raises(RuntimeError), job_scope(session, suppressed=set()):
            assert job_state(session).suppressed == set()
            raise RuntimeError("a job fails half-way")
        assert state.suppressed == {"a@example.com"}  # the inner block's value is gone
    assert job_state(session).skip_dispatch == ()
    assert job_state(session).suppressed is None


def test_each_session_has_its_own_state_and_unknown_fields_are_refused() -> None:
    one, other = Session(), Session()
    with job_scope(one, feed_written=[]):
        assert job_state(other).feed_written is None
    with pytest.raises(TypeError, match="no field"), job_scope(one, feed_writen=[]):
        pass
