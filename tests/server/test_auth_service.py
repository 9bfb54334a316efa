"""The in-memory side of authentication, without an engine: brute-force delays per address."""

from __future__ import annotations

import pytest

from logwarden.auth.service import FAIL_FREE, FAIL_MAX_DELAY_S, AuthService


@pytest.mark.parametrize(("failures", "delay"), [(1, 0.0), (FAIL_FREE, 0.0), (FAIL_FREE + 1, 0.25),
                                                 (FAIL_FREE + 2, 0.5), (FAIL_FREE + 3, 1.0),
                                                 (FAIL_FREE + 30, FAIL_MAX_DELAY_S)])
def test_failed_logins_slow_down_one_address(failures: int, delay: float) -> None:
    auth = AuthService()
    got = [auth.failed("203.0.113.7") for _ in range(failures)][-1]
    assert got == delay
    assert auth.failed("198.51.100.1") == 0.0  # another address is not slowed down
