"""rasa-sdk's plugin entry point: rasa_sdk.plugin imports this package and calls ``init_hooks``."""

from __future__ import annotations

import pluggy


def init_hooks(manager: pluggy.PluginManager) -> None:
    """Registers conserje's action-server extensions (routes, listeners)."""
    from actions import server

    manager.register(server)
