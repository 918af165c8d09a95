"""Users, roles, password hashing, bearer tokens and the access rule on every endpoint."""
