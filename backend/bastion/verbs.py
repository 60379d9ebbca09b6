"""The HTTP verbs a role grants, in their one order, and DreamFactory's bit mask for them (DESIGN §4)."""

VERBS = ("GET", "POST", "PUT", "PATCH", "DELETE")
VERB_MASK = {"GET": 1, "POST": 2, "PUT": 4, "PATCH": 8, "DELETE": 16}
