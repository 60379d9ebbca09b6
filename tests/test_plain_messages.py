"""The platform's validation messages say what to do in plain words, for every field of every admin resource.

pydantic's own phrasing ("String should have at least 1 character", "Field required", "Input should be a
valid integer") reached the admin console as it was; body.validate() now turns each error type into an
instruction ("Enter a name"), keeping the 400 envelope and its `context.errors` {field: message}.
"""

from __future__ import annotations

import re

import pytest

SYS = "/api/v2/system"
# Words only pydantic uses; none may be left in a message to an admin.
RAW = re.compile(
    r"Field required|should have|Input should|valid (integer|string|boolean|list|dictionary)"
    r"|Value error|unable to|Extra inputs|type=|greater than or equal",
    re.IGNORECASE,
)
ALL_EMPTY = {"name": "", "email": "", "password": "", "path": "", "description": "", "label": ""}
WRONG_TYPES = {
    "admin": {"email": 5, "name": ["x"], "password": 7, "is_active": "maybe"},
    "user": {
        "email": 5,
        "name": "x" * 300,
        "password": 7,
        "is_active": "maybe",
        "app_roles": [{"app_id": "x"}],
    },
    "app": {"name": 5, "description": 3, "role_id": 0, "is_active": "maybe"},
    "role": {
        "name": "x" * 80,
        "is_active": "maybe",
        "access": [{"service": 3, "verbs": "GET", "filters": [{}], "component": 4}],
    },
    "service": {"name": 5, "label": 5, "is_active": "maybe", "config": []},
    "cors": {"path": 5, "max_age": "soon", "methods": 5, "supports_credentials": "maybe", "origins": "x"},
}
RESOURCES = sorted(WRONG_TYPES)


def _errors(client, headers, resource: str, body: object) -> dict[str, str]:
    response = client.post(f"{SYS}/{resource}", json=body, headers=headers)
    assert response.status_code == 400, response.get_data(as_text=True)
    errors = response.get_json()["error"]["context"]["errors"]
    assert isinstance(errors, dict) and errors
    assert all(isinstance(key, str) and isinstance(text, str) for key, text in errors.items())
    return errors


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("shape", ["empty", "all_empty", "wrong_types"])
def test_create_answers_plain_instructions(client, admin_headers, resource, shape):
    body = {"empty": {}, "all_empty": {}, "wrong_types": WRONG_TYPES[resource]}[shape]
    if shape == "all_empty":
        # Only the fields this resource has; an unknown one would be answered "unknown field" instead.
        body = {k: v for k, v in ALL_EMPTY.items() if k in _fields(resource)}
    errors = _errors(client, admin_headers, resource, body)
    raw = {field: text for field, text in errors.items() if RAW.search(text)}
    assert not raw, raw


def _fields(resource: str) -> set[str]:
    return {
        "admin": {"name", "email", "password"},
        "user": {"name", "email", "password"},
        "app": {"name", "description"},
        "role": {"name", "description"},
        "service": {"name", "label", "description"},
        "cors": {"path", "description"},
    }[resource]


@pytest.mark.parametrize(
    ("resource", "field", "message"),
    [
        ("admin", "name", "Enter a name"),
        ("admin", "email", "Enter an e-mail address"),
        ("admin", "password", "Enter a password"),
        # A user's name may be left out: it defaults to the display name, first and last name, or e-mail.
        ("user", "email", "Enter an e-mail address"),
        ("app", "name", "Enter a name"),
        ("role", "name", "Enter a name"),
        ("service", "name", "Enter a name"),
        ("cors", "path", "Enter a path"),
    ],
)
def test_an_empty_required_field_says_what_to_enter(client, admin_headers, resource, field, message):
    for body in ({}, {field: ""}):
        assert _errors(client, admin_headers, resource, body)[field] == message


def test_limits_and_types_are_named_in_words(client, admin_headers):
    user = _errors(client, admin_headers, "user", WRONG_TYPES["user"])
    assert user["name"] == "Use at most 255 characters"
    assert user["is_active"] == "Choose true or false"
    assert user["app_roles.0.app_id"] == "Enter a whole number"
    assert user["app_roles.0.role_id"] == "Enter a role"
    app = _errors(client, admin_headers, "app", WRONG_TYPES["app"])
    assert app["role_id"] == "Enter a number of at least 1"
    assert _errors(client, admin_headers, "cors", WRONG_TYPES["cors"])["max_age"] == "Enter a whole number"
    role = _errors(client, admin_headers, "role", WRONG_TYPES["role"])
    assert role["access.0.filters.0.name"] == "Enter a name"
    assert role["access.0.verbs"] == "Send the verbs as a list"


def test_our_own_rules_keep_their_words(client, admin_headers):
    errors = _errors(client, admin_headers, "admin", {"email": "nope", "name": "N", "password": "short"})
    assert errors["email"] == "must be an email address such as name@example.com"
    assert errors["password"].startswith("must be at least")
