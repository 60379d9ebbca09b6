"""The demo database: a small HR schema in SQLite with deterministic data.

Usage: ``python -m bastion.demo_seed PATH [--rows N] [--force]``
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sqlite3
import sys
import tempfile

SCHEMA = """
CREATE TABLE departments (
    id INTEGER PRIMARY KEY,
    name VARCHAR(80) NOT NULL UNIQUE,
    budget NUMERIC(12, 2) NOT NULL
);
CREATE TABLE employees (
    id INTEGER PRIMARY KEY,
    first_name VARCHAR(50) NOT NULL,
    last_name VARCHAR(50) NOT NULL,
    email VARCHAR(120) NOT NULL UNIQUE,
    department_id INTEGER REFERENCES departments (id),
    hired_on DATE NOT NULL,
    salary NUMERIC(10, 2) NOT NULL,
    is_active BOOLEAN NOT NULL DEFAULT 1
);
CREATE TABLE projects (
    id INTEGER PRIMARY KEY,
    name VARCHAR(120) NOT NULL,
    department_id INTEGER NOT NULL REFERENCES departments (id),
    starts_on DATE NOT NULL,
    budget NUMERIC(12, 2)
);
CREATE TABLE assignments (
    employee_id INTEGER NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    role VARCHAR(40) NOT NULL,
    hours INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (employee_id, project_id)
);
CREATE INDEX employees_department ON employees (department_id);
CREATE VIEW active_employees AS
    SELECT e.id, e.first_name, e.last_name, e.email, d.name AS department, e.salary
    FROM employees AS e LEFT JOIN departments AS d ON d.id = e.department_id
    WHERE e.is_active = 1;
"""

DEPARTMENTS = ("Engineering", "Sales", "Marketing", "Finance", "Support", "Operations", "Legal", "Research")
FIRST_NAMES = (
    "Ada", "Alan", "Amara", "Ben", "Chen", "Dara", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
    "Kenji", "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
)  # fmt: skip
LAST_NAMES = (
    "Okafor", "Lindqvist", "Moreau", "Tanaka", "Silva", "Novak", "Kowalski", "Haddad", "Murphy", "Rossi",
    "Schmidt", "Nguyen", "Dubois", "Ivanova", "Costa", "Fischer", "Yilmaz", "Kim", "Andersen", "Garcia",
)  # fmt: skip
PROJECT_WORDS = (
    "Atlas",
    "Beacon",
    "Comet",
    "Delta",
    "Ember",
    "Falcon",
    "Granite",
    "Harbor",
    "Iris",
    "Juniper",
)
ROLES = ("lead", "developer", "analyst", "reviewer", "tester")
EPOCH = datetime.date(2012, 1, 1)


def create_demo_database(path: str, employees: int = 3000, force: bool = False) -> None:
    """Create the demo SQLite database at path; refuse to replace a non-empty file unless force."""
    if employees < 1:
        raise ValueError("the demo database needs at least one employee")
    if os.path.exists(path) and os.path.getsize(path) > 0 and not force:
        raise FileExistsError(f"{path} already exists and is not empty (use --force to replace it)")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"directory {directory} does not exist")
    # Build next to the target and rename, so a reader never sees a half-written database.
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".seed-", suffix=".db")
    os.close(fd)
    try:
        connection = sqlite3.connect(temporary)
        try:
            connection.executescript(SCHEMA)
            _fill(connection, random.Random(42), employees)
            connection.commit()
        finally:
            connection.close()
        os.replace(temporary, path)
    except BaseException:
        os.remove(temporary)
        raise


def _fill(connection: sqlite3.Connection, rng: random.Random, employees: int) -> None:
    departments = [(i, name, rng.randrange(200, 2000) * 1000) for i, name in enumerate(DEPARTMENTS, 1)]
    connection.executemany("INSERT INTO departments VALUES (?, ?, ?)", departments)
    connection.executemany(
        "INSERT INTO employees VALUES (?, ?, ?, ?, ?, ?, ?, ?)", _employees(rng, employees)
    )
    projects = _projects(rng, len(DEPARTMENTS))
    connection.executemany("INSERT INTO projects VALUES (?, ?, ?, ?, ?)", projects)
    connection.executemany(
        "INSERT INTO assignments VALUES (?, ?, ?, ?)", _assignments(rng, employees, len(projects))
    )


def _employees(rng: random.Random, count: int) -> list[tuple]:
    rows = []
    for i in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        email = f"{first}.{last}.{i}@example.com".lower()
        hired_on = EPOCH + datetime.timedelta(days=rng.randrange(4500))
        salary = rng.randrange(300, 1500) * 100
        # Every twentieth employee has no department, so outer joins and null filters have something to find.
        department = None if i % 20 == 0 else rng.randrange(1, len(DEPARTMENTS) + 1)
        rows.append(
            (i, first, last, email, department, hired_on.isoformat(), salary, int(rng.random() < 0.9))
        )
    return rows


def _projects(rng: random.Random, departments: int) -> list[tuple]:
    rows = []
    for i in range(1, 3 * departments + 1):
        name = f"{rng.choice(PROJECT_WORDS)} {i}"
        starts_on = EPOCH + datetime.timedelta(days=rng.randrange(4000))
        budget = None if i % 7 == 0 else rng.randrange(10, 500) * 1000
        rows.append((i, name, rng.randrange(1, departments + 1), starts_on.isoformat(), budget))
    return rows


def _assignments(rng: random.Random, employees: int, projects: int) -> list[tuple]:
    rows = []
    for employee in range(1, employees + 1):
        for project in sorted(rng.sample(range(1, projects + 1), rng.randrange(0, 3))):
            rows.append((employee, project, rng.choice(ROLES), rng.randrange(1, 40) * 10))
    return rows


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        # One line instead of argparse's usage block, so scripts and humans see the reason at once.
        self.exit(2, f"{self.prog}: {message} (see --help)\n")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = _Parser(
        prog="python -m bastion.demo_seed", description="Create the Bastion demo SQLite database."
    )
    parser.add_argument("path", help="the SQLite file to create")
    parser.add_argument("--rows", type=_positive, default=3000, help="number of employees (default 3000)")
    parser.add_argument("--force", action="store_true", help="replace an existing non-empty file")
    args = parser.parse_args(argv)
    try:
        create_demo_database(args.path, employees=args.rows, force=args.force)
    except OSError as exc:
        print(f"{parser.prog}: {exc}", file=sys.stderr)
        return 1
    print(f"Created {args.path} with {args.rows} employees")
    return 0


if __name__ == "__main__":
    sys.exit(main())
