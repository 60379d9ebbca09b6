"""The platform's version, its one home: the package, pyproject.toml and the API documents read it here."""

__version__ = "0.1.0"
