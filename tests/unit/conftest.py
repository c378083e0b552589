"""Fixtures the chat-engine unit tests share."""

import pytest

from tests.chat_helpers import RecordingPusher


@pytest.fixture
def push() -> RecordingPusher:
    """Records every frame the services push, per connection."""
    return RecordingPusher()
