"""Bastion: a secure REST API platform over existing SQL databases."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from bastion.version import __version__

__all__ = ["__version__", "create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the platform: settings, extensions, blueprints and error handlers."""
    from bastion import (
        access_index,
        auth,
        cors,
        db,
        errors,
        guards,
        headers,
        invalidation,
        logs,
        registry,
        secrets,
        system_outage,
        throttle,
        tunnel,
    )
    from bastion.api import (
        admins,
        api_roots,
        apps,
        cache,
        custom,
        data,
        docs,
        environment,
        explain,
        lookups,
        profiles,
        registration,
        roles,
        self_service,
        services,
        sessions,
        sessions_admin,
        users,
    )
    from bastion.api import advisor as advisor_api
    from bastion.api import audit as audit_api
    from bastion.api import cors as cors_api
    from bastion.api import cors_explain as cors_explain_api
    from bastion.config import load_settings
    from bastion.docs import cache as document_cache
    from bastion.paths import IdConverter, VersionAlias
    from bastion.platform import Platform
    from bastion.proxies import TrustedProxies
    from bastion.tunnel import MethodTunnel

    settings = load_settings(config)
    app = Platform(__name__, static_folder=None)
    app.config.update(
        SETTINGS=settings, DEBUG=False, MAX_CONTENT_LENGTH=8 * 1024 * 1024, JSON_SORT_KEYS=False
    )
    app.url_map.converters["id"] = IdConverter
    # A doubled slash (an empty record id) is a JSON 404, not werkzeug's HTML redirect to another URL.
    app.url_map.merge_slashes = False
    modules = (
        logs,
        headers,
        errors,
        db,
        invalidation,
        system_outage,
        secrets,
        registry,
        access_index,
        cors,
        tunnel,
    )
    modules += (throttle,)
    modules += (document_cache,)
    for module in (*modules, auth, guards):
        module.init_app(app)
    audit_api.init_app(app)
    blueprints = (
        sessions.admin_bp,
        sessions.user_bp,
        admins.bp,
        environment.bp,
        services.bp,
        roles.bp,
        apps.bp,
        users.bp,
        users.self_bp,
        profiles.user_bp,
        profiles.admin_bp,
        explain.bp,
        cors_explain_api.bp,
        cors_api.bp,
        advisor_api.bp,
        audit_api.bp,
        sessions_admin.bp,
        cache.bp,
        custom.system_bp,
        custom.user_bp,
        lookups.bp,
        registration.bp,
        self_service.bp,
        docs.bp,
        api_roots.bp,
        data.bp,
    )
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    # The tunnel runs inside the alias, so every layer of the app sees one path and one verb.
    app.wsgi_app = VersionAlias(MethodTunnel(app.wsgi_app))
    if settings.trusted_proxies:
        app.wsgi_app = TrustedProxies(app.wsgi_app, settings.trusted_proxies, settings.trusted_proxy_ips)
    return app
