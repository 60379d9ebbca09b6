"""pydantic's validation errors as instructions in plain words: one table of its error types.

"String should have at least 1 character" becomes "Enter a name", for every field of every system body
(api/body.validate) and the CLI's one-line failures alike. Messages our own validators raise already say
what to do, and are kept as written.
"""

from __future__ import annotations

# What to enter, by the field's own name (the last name in its location); others are named by their words.
_NOUNS = {
    "email": "an e-mail address",
    "name": "a name",
    "password": "a password",
    "new_password": "the new password",
    "old_password": "your current password",
    "path": "a path",
    "label": "a label",
    "description": "a description",
    "type": "a service type",
    "component": "a component",
    "service": "a service name",
    "operator": "an operator",
    "config": "the connection settings",
    "role_id": "a role",
    "app_id": "an app",
}

# pydantic's error types, each as a plain instruction; {noun} is what the field holds, {...} its limits.
_PLAIN = {
    "missing": "Enter {noun}",
    "string_too_short": "Use at least {min_length} characters",
    "string_too_long": "Use at most {max_length} characters",
    "string_type": "Enter {noun} as text",
    "int_type": "Enter a whole number",
    "int_parsing": "Enter a whole number",
    "int_from_float": "Enter a whole number",
    "float_type": "Enter a number",
    "float_parsing": "Enter a number",
    "greater_than_equal": "Enter a number of at least {ge}",
    "greater_than": "Enter a number above {gt}",
    "less_than_equal": "Enter a number of at most {le}",
    "less_than": "Enter a number below {lt}",
    "bool_type": "Choose true or false",
    "bool_parsing": "Choose true or false",
    "list_type": "Send {noun} as a list",
    "too_short": "Add at least {min_length} items",
    "too_long": "Use at most {max_length} items",
    "dict_type": "Send {noun} as an object",
    "model_type": "Send {noun} as an object",
    "model_attributes_type": "Send {noun} as an object",
    "literal_error": "Choose one of {expected}",
    "enum": "Choose one of {expected}",
    "none_required": "Leave this empty",
}
_FALLBACK = "Enter a valid value"


def _noun(loc: tuple) -> str:
    names = [part for part in loc if isinstance(part, str)]
    name = names[-1] if names else "body"
    return _NOUNS.get(name, f"the {name.replace('_', ' ')}" if names else "a JSON object")


def plain_message(error: dict) -> str:
    """pydantic's error as an instruction in plain words; our own validators' messages are kept as written."""
    kind, noun = error["type"], _noun(error["loc"])
    given = error.get("input")
    # An empty required text field is the commonest mistake of all: say what to enter, whatever rule it broke.
    if kind in ("string_too_short", "value_error") and isinstance(given, str) and not given.strip():
        return f"Enter {noun}"
    if kind in ("value_error", "assertion_error"):
        return str(error["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    template = _PLAIN.get(kind)
    if template is None:
        return _FALLBACK
    try:
        return template.format(noun=noun, **error.get("ctx", {}))
    except (KeyError, IndexError):
        return _FALLBACK
