"""The server comparison table: each server's figures on the same scenarios, and granian's ÷ gunicorn's."""

from bench.run import COMPARED, compare, comparison_markdown


def figures(rps, cpu, p50, p99):
    return {"rps": rps, "cpu_us_per_request": cpu, "p50_ms": p50, "p99_ms": p99, "errors": 0,
            "server_processes": 5, "requests": 100}


def test_each_compared_scenario_has_granian_s_figures_as_a_ratio_to_gunicorn_s():
    by_server = {"gunicorn": {name: figures(1000, 2000, 10, 40) for name in [*COMPARED, "search"]},
                 "granian": {name: figures(1500, 1500, 8, 20) for name in COMPARED}}
    comparison = compare(by_server)
    assert [row["scenario"] for row in comparison["scenarios"]] == COMPARED  # search: gunicorn's alone
    checkout = comparison["scenarios"][-1]
    assert checkout["servers"]["granian"]["cpu_us_per_request"] == 1500
    assert checkout["ratios"] == {"granian": {"rps": 1.5, "cpu_us_per_request": 0.75, "p50_ms": 0.8,
                                              "p99_ms": 0.5}}


def test_a_server_that_measured_nothing_gives_a_zero_ratio_not_a_crash():
    by_server = {"gunicorn": {"checkout": figures(0, 0, 0, 0)}, "granian": {"checkout": figures(3, 100, 5, 9)}}
    assert compare(by_server)["scenarios"][0]["ratios"]["granian"]["rps"] == 0.0


def test_the_table_shows_a_line_per_server_and_scenario_and_a_line_of_ratios_per_scenario():
    by_server = {"gunicorn": {"me": figures(1000, 2000, 10, 40)}, "granian": {"me": figures(1500, 1500, 8, 20)}}
    lines = comparison_markdown(compare(by_server))
    assert "| GET /me (bearer) | granian | 1500 | 1500 | 8.0 | 20.0 | 0 | 5 |" in lines
    assert "| GET /me (bearer) | 1.50 | 0.75 | 0.80 | 0.50 |" in lines


def test_a_run_of_gunicorn_alone_has_no_comparison_table():
    assert comparison_markdown(compare({"gunicorn": {"me": figures(1, 1, 1, 1)}})) == []
