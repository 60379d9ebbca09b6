"""The data services of one worker: pooled engines and reflected schemas, looked up per request.

Service rows are cached per worker and rebuilt when the "services" counter moves (invalidation.py), so a
change made through any worker or host (a new password, deactivation, deletion) is seen on the next
request. On that request, before anything else, the worker also releases what the change made stale:
the engines (and their pooled connections) of services deleted, deactivated or edited, their reflected
schemas and their compiled reads. A service that is not asked for again costs nothing after its change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask

from bastion import current, http_answers, http_proxy
from bastion.bulkheads import Bulkheads
from bastion.config import current_settings
from bastion.data.dberrors import RETRY_AFTER, GatewayTimeout, ServiceUnavailable
from bastion.data.engines import EnginePool
from bastion.data.read_plans import ReadPlans
from bastion.data.schema import SchemaCache
from bastion.db import session_scope
from bastion.errors import NotFound
from bastion.invalidation import VersionedCache
from bastion.models import Service
from bastion.secrets import get_box
from bastion.service_types import DEFAULT_MAX_RECORDS
from bastion.services.data_services import ensure_secret_usable, list_services, plain_config
from bastion.system_outage import SystemDatabaseUnavailable, answer_quietly

log = logging.getLogger("bastion")


@dataclass(frozen=True)
class OpenService:
    """A data service ready for queries: its row, engine and schema cache key."""

    service: Service
    engine: sa.Engine

    @property
    def name(self) -> str:
        """The service's name."""
        return self.service.name

    @property
    def max_records(self) -> int:
        """The cap on records per request."""
        return int(self.service.config.get("max_records") or DEFAULT_MAX_RECORDS)

    def tables(self) -> list[str]:
        """The names of the reflected tables and views."""
        return schemas().tables(self.service.id, self.engine)

    def table(self, name: str) -> sa.Table:
        """A reflected table by name (case-insensitive), or NotFound."""
        return schemas().table(self.service.id, self.engine, name, service=self.service.name)

    def refresh(self) -> None:
        """Drop the cached schema so the next lookup reflects again."""
        schemas().refresh(self.service.id)


def _services_by_name() -> dict[str, Service]:
    with session_scope() as db:
        return {s.name: s for s in list_services(db)}


def init_app(app: Flask) -> None:
    """Give the app its engine pool, schema cache, compiled reads and service rows (rebuilt when any
    service changes)."""
    app.extensions["bastion.engines"] = EnginePool()
    app.extensions["bastion.http_pools"] = EnginePool(_build_upstream, http_proxy.close_upstream)
    app.extensions["bastion.schemas"] = SchemaCache()
    app.extensions["bastion.read_plans"] = ReadPlans()
    app.extensions["bastion.services"] = VersionedCache("services", _services_by_name)
    app.extensions["bastion.bulkheads"] = Bulkheads()
    app.before_request(release_changed_services)
    app.teardown_request(_leave_bulkheads)
    # Refusals and timeouts of a service (or a remote API) are expected in an outage: one log line each.
    for error in (ServiceUnavailable, GatewayTimeout, http_proxy.BadGateway, http_proxy.UpstreamTimeout):
        app.register_error_handler(error, answer_quietly)


def release_changed_services() -> None:
    """Once per change of the service rows, release the engines and schemas that change made stale."""
    extensions = current.extensions()
    if not extensions["bastion.engines"].versions() and not extensions["bastion.http_pools"].versions():
        return  # nothing to release, and no reason to read the service rows before a request needs them
    try:
        services = extensions["bastion.services"].get()
    except (sa.exc.SQLAlchemyError, SystemDatabaseUnavailable):
        return  # the system database is out of order: the request itself meets that and answers it
    # The cache hands out the same mapping until it is rebuilt, so this is one comparison per request.
    if extensions.get("bastion.services.released") is services:
        return
    extensions["bastion.services.released"] = services
    release_stale(services.values())


def release_stale(services: Iterable[Service]) -> None:
    """Dispose the engines of services not among the active ones (or of an older version), and free their
    reflected schemas and compiled reads."""
    live = {service.id: service.version for service in services if service.is_active}
    for service_id, _ in http_pools().retain(live):
        log.info("service %s: connection pool released after a change", service_id)
    for service_id, engine in engines().retain(live):
        schemas().refresh(service_id)
        read_plans().forget(engine.dialect)
        log.info("service %s: engine and schema released after a change", service_id)


def engines() -> EnginePool:
    """The current app's engine pool."""
    return current.extensions()["bastion.engines"]


def http_pools() -> EnginePool:
    """The current app's connection pools of remote HTTP services, one per service version."""
    return current.extensions()["bastion.http_pools"]


def _build_upstream(config: dict) -> http_proxy.Upstream:
    return http_proxy.build_upstream(config, current_settings().http_services_allowed_networks)


def open_upstream(service: Service) -> http_proxy.Upstream:
    """The pooled upstream of a remote HTTP service; secrets are opened only when a pool must be built."""
    _enter_bulkhead(service)
    return http_pools().get(service.id, service.version, _config_loader(service))


def secret_spellings(service: Service) -> tuple[bytes, ...]:
    """Every spelling of a remote HTTP service's secrets that a document could quote (http_answers)."""
    return http_answers.secret_spellings(_config_loader(service)())


def _config_loader(service: Service) -> Callable[[], dict]:
    """What opens a service's config when (and only when) a pool or engine must be built."""
    box = get_box()

    def load_config() -> dict:
        ensure_secret_usable(box, service)
        return plain_config(box, service)

    return load_config


def read_plans() -> ReadPlans:
    """The current app's compiled reads of the data API."""
    return current.extensions()["bastion.read_plans"]


def schemas() -> SchemaCache:
    """The current app's schema cache."""
    return current.extensions()["bastion.schemas"]


def find_active_service(name: str) -> Service:
    """The active service with this name, or NotFound (an inactive service does not exist for callers)."""
    service = current.extensions()["bastion.services"].get().get(name)
    if service is None or not service.is_active:
        raise NotFound(f"Service '{name}' not found")
    return service


def active_services() -> list[Service]:
    """The active services by name, from this worker's cache: no system-database read per request."""
    services = current.extensions()["bastion.services"].get().values()
    return sorted((service for service in services if service.is_active), key=lambda s: s.name)


def open_service(service: Service) -> OpenService:
    """Attach the pooled engine; secrets are opened only when an engine must be built."""
    _enter_bulkhead(service)
    engine = engines().get(service.id, service.version, _config_loader(service))
    return OpenService(service=service, engine=engine)


def _enter_bulkhead(service: Service) -> None:
    # A request takes its place once per service, however often it opens it, until the request ends.
    entered: set = current.state().setdefault("bastion_bulkheads", set())
    if service.id in entered:
        return
    if not current.extensions()["bastion.bulkheads"].enter(service.id):
        raise ServiceUnavailable(
            f"Too many requests to service '{service.name}' are in progress; retry shortly",
            headers={"Retry-After": RETRY_AFTER},
        )
    entered.add(service.id)


def _leave_bulkheads(_exc: BaseException | None) -> None:
    bulkheads = current.extensions()["bastion.bulkheads"]
    for service_id in current.state().pop("bastion_bulkheads", ()):
        bulkheads.leave(service_id)
