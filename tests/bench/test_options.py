"""bench/run.py's options: whose databases a run drops, and which servers it compares."""

import pytest

from bench import servers
from bench.run import parse


def test_the_databases_are_rxloop_bench_s_unless_told_otherwise():
    assert parse([], environ={}).db_prefix == "rxloop_bench"


def test_a_second_bench_names_its_own_databases_by_option_or_environment():
    assert parse(["--db-prefix", "rxloop_srv"], environ={}).db_prefix == "rxloop_srv"
    assert parse([], environ={"BENCH_DB_PREFIX": "rxloop_lead"}).db_prefix == "rxloop_lead"


@pytest.mark.parametrize("prefix", ['x"; DROP DATABASE postgres; --', "Rxloop", "1bench", "a" * 41, ""])
def test_a_prefix_that_is_not_a_plain_lower_case_name_is_refused(prefix, capsys):
    with pytest.raises(SystemExit) as refused:
        parse(["--db-prefix", prefix], environ={})
    assert refused.value.code == 2


def test_gunicorn_alone_is_driven_unless_a_comparison_is_asked_for():
    assert parse([], environ={}).servers == ["gunicorn"]
    assert parse(["--servers", "gunicorn,granian"], environ={}).servers == ["gunicorn", "granian"]


def test_servers_are_driven_in_a_fixed_order_gunicorn_first():
    assert servers.parse_kinds("granian,gunicorn") == ["gunicorn", "granian"]


@pytest.mark.parametrize("value, reason", [
    ("granian", "gunicorn must be among the servers"),
    ("gunicorn,uwsgi", "unknown server uwsgi"),
    ("gunicorn,granian,gunicorn", "a server named twice"),
])
def test_a_server_list_without_gunicorn_or_with_an_unknown_or_repeated_server_is_refused(value, reason):
    with pytest.raises(ValueError, match=reason):
        servers.parse_kinds(value)


def test_the_results_go_where_they_are_told(tmp_path):
    assert parse(["--out", str(tmp_path)], environ={}).out == tmp_path
    assert parse([], environ={"BENCH_OUT": str(tmp_path)}).out == tmp_path
