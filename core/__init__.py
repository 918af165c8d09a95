"""The plumbing both contexts stand on: app factory, config, db, identity, audit, errors."""
