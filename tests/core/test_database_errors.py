"""A database error names the statement, never its parameters: they are patient data, and an
unexpected error is logged with its message."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


def test_a_failed_statement_keeps_its_parameters_out_of_the_message(app):
    engine = app.extensions["rxloop.db"].engine
    with engine.connect() as connection, pytest.raises(DBAPIError) as failure:
        connection.execute(text("SELECT full_name FROM no_such_table WHERE full_name = :name"),
                           {"name": "Wilhelmina Quux"})
    assert "no_such_table" in str(failure.value)
    assert "Wilhelmina Quux" not in str(failure.value)
