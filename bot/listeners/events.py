"""Events from the study channel and the app."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def ignore(ack: Any) -> None:
    """Events the bot subscribes to but has nothing to do with still get a 2xx."""
    ack()
