"""The security advisor: checks of the live configuration, shared by `bastion check` and the admin API."""
