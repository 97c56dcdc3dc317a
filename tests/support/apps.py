"""One Litestar application per test process and configuration, given each test's own database and state.

`create_app` costs 0.5-1 s of CPU, nearly all of it Litestar registering some 700 handlers, and about 300 tests
each want an application that differs from the last one only in its database. The first test with a given
configuration gets a real `create_app(settings)`. A later test with the same settings but another database gets
that application back with everything `create_app` makes per configuration made anew for it: `create_app` runs
again with the Litestar constructor swapped for one that only keeps its arguments (cheap: no registration), and
the new database engine, state (caches, jobs), stores and lifespan (the mail and reminder loops) replace the old
ones. What carries over is only what is the same for equal settings: the routes, middleware and templates.
"""

from __future__ import annotations

import os
from contextlib import AbstractAsyncContextManager
from dataclasses import replace
from typing import Any
from unittest import mock

from advanced_alchemy.extensions.litestar import SQLAlchemyPlugin
from litestar import Litestar
from litestar.stores.base import Store
from litestar.stores.registry import StoreRegistry

from ascc import app as app_module
from ascc.config import Settings

_apps: dict[Settings, Litestar] = {}
# To compare with a new application for every test: ASCC_TEST_NEW_APPS=1.
_DISABLED = os.environ.get("ASCC_TEST_NEW_APPS") == "1"


def app_for(settings: Settings) -> Litestar:
    key = replace(settings, database_url="")
    kept = _apps.get(key)
    if _DISABLED:
        return app_module.create_app(settings)
    if kept is None:
        _apps[key] = kept = app_module.create_app(settings)
        return kept
    made: dict[str, Any] = {}
    with mock.patch.object(app_module, "Litestar", lambda **kwargs: made.update(kwargs)):
        app_module.create_app(settings)
    _rebind(kept, made)
    return kept


def _db_config(plugins: list[Any]) -> Any:
    (plugin,) = [p for p in plugins if isinstance(p, SQLAlchemyPlugin)]
    (config,) = plugin.config
    return config


def _rebind(app: Litestar, made: dict[str, Any]) -> None:
    # The middleware and the plugin's hooks hold the same config object: give it the new engine.
    config = _db_config(app.plugins.init)  # type: ignore[arg-type]
    config.engine_instance = _db_config(made["plugins"]).engine_instance
    config.session_maker = None
    app.state = made["state"]
    stores = made["stores"]
    app.stores = StoreRegistry(stores)
    # create_app's own lifespan comes first, then what the plugins added (the same objects), then the stores'.
    own = list(made["lifespan"])
    kept = app._lifespan_managers[len(own) :]  # type: ignore[attr-defined]
    kept = [m for m in kept if not isinstance(m, Store)]
    app._lifespan_managers = (
        own + kept + [s for s in stores.values() if isinstance(s, AbstractAsyncContextManager)]
    )  # type: ignore[attr-defined]
