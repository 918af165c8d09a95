"""A problem's `type` is a URI the server answers with a page saying what it means (RFC 9457)."""

import re

import pytest
from markupsafe import escape

from core.problems import Problem


@pytest.mark.parametrize("problem", list(Problem), ids=lambda p: p.slug)
def test_every_problem_type_resolves_to_a_page_with_its_title_status_and_description(client, problem):
    response = client.get(problem.type)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f"<h1>{escape(problem.title)}</h1>" in page
    assert f"HTTP status {problem.status}" in page
    assert str(escape(problem.description.replace("`", ""))) in re.sub(r"<[^>]+>", "", page)


def test_field_names_in_a_description_are_shown_as_code(client):
    page = client.get("/problems/invalid-transition").get_data(as_text=True)
    assert "<code>current_status</code> and <code>target_status</code>" in page


def test_the_type_in_a_problem_body_resolves(client):
    body = client.get("/api/v1/no-such-thing").json
    assert client.get(body["type"]).status_code == 200


def test_the_index_links_every_problem_type(client):
    response = client.get("/problems")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert [p.slug for p in Problem if f'<a href="{p.type}">{p.slug}</a>' not in page] == []


def test_an_unknown_problem_type_is_a_not_found_problem(client):
    response = client.get("/problems/out-of-stok")
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == "/problems/not-found"


def test_problem_pages_stay_out_of_the_openapi_document(client):
    paths = client.get("/api/openapi.json").json["paths"]
    assert [p for p in paths if p.startswith("/problems")] == []
