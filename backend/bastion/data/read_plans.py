"""Reads compiled once per shape and run on the driver's cursor: the data API's hot path.

A page, a filtered page or a by-id read usually asks exactly what an earlier request asked, bar the
limit, offset or key. A ReadPlan keeps that statement compiled for the service's dialect: SQLAlchemy's SQL
text, its bound values already through the dialect's bind processors, and named slots for the values that
change per request. Running it is a cursor execute and a fetch on a pooled connection, without building a
statement, generating its cache key or wrapping rows in a Result (bench/README.md measures the gain).
Values stay bound parameters; rows go through the result processors SQLAlchemy would apply, so the
answer is the same either way (tests/test_read_plans.py compares them on every engine).

A shape is compiled on its second request. The first one, and every statement a plan cannot carry
(expanding IN lists, values rendered into the SQL text), runs through SQLAlchemy as before, so a filter
typed once costs what it always did.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from bastion.data.convert import rows_to_json, to_json

MAX_PLANS = 1024
_PLAIN = frozenset({type(None), bool, int, str})
Rows = list[dict[str, Any]]
Bind = sa.Engine | sa.Connection


class ReadPlan:
    """One compiled read: SQL text, fixed bound values, per-request slots and per-column converters."""

    def __init__(self, stmt: sa.Select, compiled: sa.engine.Compiled, dialect: sa.Dialect) -> None:
        self.sql = compiled.string
        self.dialect = dialect
        escaped = compiled.escaped_bind_names
        self._processors = {
            escaped.get(name, name): processor
            for bind, name in compiled.bind_names.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        }
        self._values = {name: self._bind(name, value) for name, value in compiled.construct_params().items()}
        self._order = list(compiled.positiontup) if compiled.positional else None
        self._columns = list(stmt.selected_columns)
        self.keys = [column.name for column in self._columns]
        self._converters: list[tuple[int, Callable[[Any], Any] | None]] | None = None

    @classmethod
    def compile(cls, stmt: sa.Select, dialect: sa.Dialect) -> ReadPlan | None:
        """The plan of a statement, or None when its SQL text is not fixed (IN lists expand per run)."""
        compiled = stmt.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            return None
        return cls(stmt, compiled, dialect)

    def _bind(self, name: str, value: Any) -> Any:
        processor = self._processors.get(name)
        return processor(value) if processor is not None else value

    def parameters(self, values: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        """The statement's parameters with the request's values in their slots, as the driver wants them."""
        merged = self._values | {name: self._bind(name, value) for name, value in values.items()}
        if self._order is None:
            return merged
        return [merged[name] for name in self._order]

    def run(self, engine: sa.Engine, values: Mapping[str, Any]) -> list[tuple]:
        """Execute on a pooled connection and fetch every row, raw from the driver."""
        parameters = self.parameters(values)
        connection = self._checkout(engine)
        cursor = None
        try:
            cursor = connection.cursor()
            cursor.execute(self.sql, parameters)
            rows = cursor.fetchall()
            if self._converters is None:
                self._converters = self._result_converters(cursor.description)
            return rows
        except self.dialect.loaded_dbapi.Error as exc:
            raise self._wrapped(exc, connection, cursor, parameters) from exc
        finally:
            if cursor is not None:
                cursor.close()
            connection.close()

    def _checkout(self, engine: sa.Engine) -> Any:
        # The pool raises the driver's own error when it cannot connect; engine.connect() would have
        # wrapped it, so this does the same and the outage translation sees one kind of error.
        try:
            return engine.raw_connection()
        except self.dialect.loaded_dbapi.Error as exc:
            raise sa.exc.DBAPIError.instance(
                None, None, exc, self.dialect.loaded_dbapi.Error, dialect=self.dialect
            ) from exc

    def _wrapped(self, exc: Exception, connection: Any, cursor: Any, parameters: Any) -> sa.exc.DBAPIError:
        # The same exception SQLAlchemy would raise, so error translation and the 503 handler apply; a
        # dropped connection is discarded from the pool, as SQLAlchemy does.
        lost = self.dialect.is_disconnect(exc, connection.dbapi_connection, cursor)
        if lost:
            connection.invalidate(exc)
        return sa.exc.DBAPIError.instance(
            self.sql,
            parameters,
            exc,
            self.dialect.loaded_dbapi.Error,
            connection_invalidated=lost,
            dialect=self.dialect,
            hide_parameters=True,
        )

    def _result_converters(self, description: Sequence[Sequence[Any]]) -> list:
        converters = []
        for index, (column, described) in enumerate(zip(self._columns, description, strict=True)):
            impl = column.type.dialect_impl(self.dialect)
            converters.append((index, impl.result_processor(self.dialect, described[1])))
        return converters

    def to_json(self, rows: list[tuple]) -> Rows:
        """Raw rows as JSON-safe objects: SQLAlchemy's result processors, then convert.to_json.

        Column by column, because a page has few columns and many values: the per-value work is then a
        C-level map for the processor and one to_json call only where a value is not plain already.
        """
        if not rows:
            return []
        columns: list[Sequence[Any]] = list(zip(*rows, strict=True))
        for index, processor in self._converters or ():
            values = columns[index] if processor is None else list(map(processor, columns[index]))
            if not _PLAIN.issuperset(map(type, values)):
                values = [to_json(value) for value in values]
            columns[index] = values
        keys = self.keys
        return [dict(zip(keys, values, strict=True)) for values in zip(*columns, strict=True)]

    def scalar(self, rows: list[tuple]) -> Any:
        """The single value of a one-row, one-column result (a count)."""
        return rows[0][0]


class OneOffRead:
    """A read run through SQLAlchemy's execution: a shape seen once, or one a plan cannot carry."""

    def __init__(self, stmt: sa.Select) -> None:
        self.stmt = stmt
        self.keys: list[str] = []

    def run(self, bind: Bind, values: Mapping[str, Any]) -> list[sa.Row]:
        """Execute (on the given connection, else a pooled one) and fetch every processed row."""
        if isinstance(bind, sa.Connection):
            return self._fetch(bind, values)
        with bind.connect() as connection:
            return self._fetch(connection, values)

    def _fetch(self, connection: sa.Connection, values: Mapping[str, Any]) -> list[sa.Row]:
        result = connection.execute(self.stmt, dict(values))
        self.keys = list(result.keys())
        return result.all()

    def to_json(self, rows: list[sa.Row]) -> Rows:
        """Processed rows as JSON-safe objects."""
        return rows_to_json(self.keys, rows)

    def scalar(self, rows: list[sa.Row]) -> Any:
        """The single value of a one-row, one-column result (a count)."""
        return rows[0][0]


Read = ReadPlan | OneOffRead


SEEN_ONCE, NO_PLAN = "seen once", "no plan"


class ReadPlans:
    """One worker's plans by shape, least recently used dropped first; shapes are compiled when seen twice."""

    def __init__(self, max_plans: int = MAX_PLANS) -> None:
        self._lock = threading.Lock()
        # A shape maps to its plan, to SEEN_ONCE, or to NO_PLAN when its statement cannot have one.
        self._plans: OrderedDict[Hashable, ReadPlan | str] = OrderedDict()
        self._max = max_plans

    def read(self, bind: Bind, shape: Hashable | None, build: Callable[[], sa.Select]) -> Read:
        """The plan of a shape once it is known, else a one-off read of the statement build() makes.

        ``shape`` must determine the statement entirely but for the slot values passed to run(); None
        (or an unhashable shape) never gets a plan, nor does a read inside the caller's own connection.
        """
        if shape is None or not isinstance(bind, sa.Engine):
            return OneOffRead(build())
        key = _hashable((bind.dialect, shape))
        if key is None:
            return OneOffRead(build())
        with self._lock:
            known = self._plans.get(key)
            if known is not None:
                self._plans.move_to_end(key)
        if isinstance(known, ReadPlan):
            return known
        stmt = build()
        if known is None:
            self._remember(key, SEEN_ONCE)
        elif known == SEEN_ONCE:
            plan = ReadPlan.compile(stmt, bind.dialect)
            self._remember(key, plan or NO_PLAN)
            if plan is not None:
                return plan
        return OneOffRead(stmt)

    def forget(self, dialect: sa.Dialect) -> None:
        """Drop every plan of one engine's dialect (its engine was disposed), and the tables they hold."""
        with self._lock:
            for key in [key for key in self._plans if key[0] is dialect]:
                del self._plans[key]

    def plan_count(self) -> int:
        """How many shapes have a compiled plan now."""
        with self._lock:
            return sum(isinstance(plan, ReadPlan) for plan in self._plans.values())

    def _remember(self, key: Hashable, plan: ReadPlan | str) -> None:
        with self._lock:
            self._plans[key] = plan
            self._plans.move_to_end(key)
            while len(self._plans) > self._max:
                self._plans.popitem(last=False)


def _hashable(key: Hashable) -> Hashable | None:
    try:
        hash(key)
    except TypeError:
        return None
    return key
