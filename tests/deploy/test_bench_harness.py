"""The benchmark harness's pieces that need no timing: parsing, summaries, targets, configs."""

import sys
import textwrap

import pytest

from bench import cpu, fixed_rate, gunicorn_settings, memory, nginx, orders, reference_app, report, run, traffic, wrk
from bench.catalog import BARE, STATIC
from bench.scenario import WITHOUT_SPEEDUPS, Context, Request, Scenario, Target
from bench.stats import RunResult, Summary, percentile, summarise

WRK_OUTPUT = textwrap.dedent("""\
    Running 1s test @ http://127.0.0.1:18765/products
      2 threads and 4 connections
      Thread Stats   Avg      Stdev     Max   +/- Stdev
        Latency     5.20ms    4.69ms  38.76ms   85.27%
        Req/Sec   430.38    234.20     1.28k    85.71%
      Latency Distribution
         50%  812.00us
         75%    6.88ms
         90%   10.54ms
         99%    1.20s
      903 requests in 1.10s, 178.13KB read
      Socket errors: connect 0, read 2, write 0, timeout 3
      Non-2xx or 3xx responses: 7
    Requests/sec:    820.44
    Transfer/sec:    161.84KB
    """)


def summary(name, rps, **fields):
    return Summary(
        name=name,
        rps=rps,
        rps_min=rps,
        rps_max=rps,
        p50_ms=fields.pop("p50_ms", 1.0),
        p99_ms=fields.pop("p99_ms", 5.0),
        errors=fields.pop("errors", 0),
        runs=1,
        **fields,
    )


def test_wrk_output_gives_rate_latencies_in_ms_and_all_errors():
    result = wrk.parse(WRK_OUTPUT)
    assert result.rps == 820.44
    assert result.p50_ms == pytest.approx(0.812)
    assert result.p99_ms == pytest.approx(1200.0)
    assert result.errors == 12
    assert result.requests == 903


def test_wrk_output_without_errors_counts_zero():
    clean = "\n".join(line for line in WRK_OUTPUT.splitlines() if "errors" not in line and "Non-2xx" not in line)
    assert wrk.parse(clean).errors == 0


def test_text_that_is_not_wrk_output_is_refused():
    with pytest.raises(ValueError):
        wrk.parse("wrk: invalid URL")


def test_wrk_script_sets_method_body_and_headers_as_lua_strings():
    script = wrk.lua_script("POST", '{"items": [1]}', {"Content-Type": "application/json"})
    assert 'wrk.method = "POST"' in script
    assert 'wrk.body = "{\\"items\\": [1]}"' in script
    assert 'wrk.headers["Content-Type"] = "application/json"' in script


def test_wrk_command_carries_headers_duration_and_script():
    argv = wrk.command("http://127.0.0.1:1/", 5, 32, 2, {"HX-Request": "true"}, "s.lua")
    assert argv[:4] == [wrk.WRK, "-t2", "-c32", "-d5s"]
    assert argv[argv.index("-H") : argv.index("-H") + 2] == ["-H", "HX-Request: true"]
    assert argv[-3:] == ["-s", "s.lua", "http://127.0.0.1:1/"]


def test_summary_is_the_median_of_runs_with_range_and_summed_errors():
    runs = [
        RunResult(100, 1, 9, 0, 10, {"drain_s": 1.0}),
        RunResult(300, 3, 7, 2, 30, {"drain_s": 3.0}),
        RunResult(200, 2, 8, 1, 20, {"drain_s": 2.0}),
    ]
    result = summarise("x", runs)
    assert (result.rps, result.rps_min, result.rps_max) == (200, 100, 300)
    assert (result.p50_ms, result.p99_ms, result.errors) == (2, 8, 3)
    assert result.extras == {"drain_s": 2.0}


@pytest.mark.parametrize("fraction, expected", [(0.5, 50), (0.99, 99), (1.0, 100), (0.001, 1)])
def test_percentile_is_the_nearest_rank(fraction, expected):
    assert percentile(list(range(1, 101)), fraction) == expected


def test_ratio_target_is_met_at_the_threshold_and_not_below():
    target = Target(ratio_of=BARE, min_ratio=0.8)
    rows = {BARE: summary(BARE, 1000)}
    assert report.evaluate(target, summary("app", 800), rows)[1] is True
    assert report.evaluate(target, summary("app", 799), rows)[1] is False


def test_target_without_its_baseline_cannot_be_judged():
    text, met = report.evaluate(Target(ratio_of=BARE, min_ratio=0.8), summary("app", 800), {})
    assert met is None
    assert text == "≥ 0.8× bare Flask"


def test_every_absolute_limit_must_hold():
    target = Target(min_rps=1000, max_p99_ms=100, zero_errors=True, max_extras={"drain_s": 5})
    good = summary("orders", 1200, p99_ms=50, extras={"drain_s": 2.0})
    assert report.evaluate(target, good, {})[1] is True
    for bad in (
        summary("orders", 900, p99_ms=50, extras={"drain_s": 2.0}),
        summary("orders", 1200, p99_ms=100, extras={"drain_s": 2.0}),
        summary("orders", 1200, p99_ms=50, errors=1, extras={"drain_s": 2.0}),
        summary("orders", 1200, p99_ms=50, extras={"drain_s": 6.0}),
    ):
        assert report.evaluate(target, bad, {})[1] is False
    assert report.evaluate(target, summary("orders", 1200, p99_ms=50), {})[1] is None


def test_table_shows_ratios_to_both_baselines_and_the_verdict():
    rows = [
        summary(STATIC, 40000),
        summary(BARE, 4000),
        summary("app", 2000),
        report.Skipped("frontend", "skipped: no frontend config"),
    ]
    table = report.scenario_table(rows, {"app": Target(ratio_of=BARE, min_ratio=0.8)})
    app_row = next(line for line in table.splitlines() if line.startswith("| app |"))
    cells = [cell.strip() for cell in app_row.strip("|").split("|")]
    assert cells[6:] == ["0.50×", "0.05×", "≥ 0.8× bare Flask", "**not met**"]
    assert "| frontend | skipped: no frontend config |" in table


def test_the_speedups_table_sets_each_scenario_beside_its_run_without_them():
    rows = [
        summary(BARE, 4000),
        summary("GET /products", 3000),
        summary("GET /products" + WITHOUT_SPEEDUPS, 2500),
        summary("POST /orders", 300, cpu_ms={"total": 6.0}),
        summary("POST /orders" + WITHOUT_SPEEDUPS, 250, cpu_ms={"total": 7.5}),
        summary("GET / full page", 1000),  # no run without the speed-ups: not in the table
    ]
    lines = report.speedups_table(rows).splitlines()
    assert len(lines) == 4
    assert lines[2] == "| GET /products | 3,000 | 2,500 | 1.20× | 0.75× / 0.62× |  |"
    assert lines[3] == "| POST /orders | 300 | 250 | 1.20× | 0.07× / 0.06× | 6.00 / 7.50 |"
    assert report.speedups_table(rows[:2]) == ""


def test_fixed_rate_rows_are_not_compared_with_closed_loop_baselines():
    rows = {BARE: summary(BARE, 4000)}
    assert report.ratio(summary("mix", 200, mode="fixed rate 200 req/s"), rows[BARE]) is None


def test_memory_table_checks_each_process_kind_against_its_limit():
    table = report.memory_table({"gunicorn worker (app)": 130.0, "worker service": 60.0})
    assert "| gunicorn worker (app) | 130.0 | 120.0 | **not met** |" in table
    assert "| worker service | 60.0 | 100.0 | met |" in table


def test_defaults_apply_without_a_config_file_and_overrides_win(tmp_path):
    settings = gunicorn_settings.resolve(tmp_path, "-w 3 --threads 4", cores=2)
    assert settings.flags[:2] == ("--workers", "2")
    assert (settings.workers, settings.threads, settings.worker_class) == (3, 4, "gthread")


def test_a_config_file_is_loaded_by_both_servers_and_read_for_the_report(tmp_path, monkeypatch):
    (tmp_path / "gunicorn.conf.py").write_text(
        "import os\nworkers = int(os.environ.get('GUNICORN_WORKERS', 5))\nworker_class = 'sync'\n"
    )
    monkeypatch.setenv("GUNICORN_WORKERS", "4")
    settings = gunicorn_settings.resolve(tmp_path)
    assert settings.flags == ("--config", str(tmp_path / "gunicorn.conf.py"))
    assert (settings.workers, settings.worker_class) == (4, "sync")
    argv = gunicorn_settings.command("python", settings, "wsgi:app", 4321)
    assert argv[-3:] == ["--bind", "127.0.0.1:4321", "wsgi:app"]


FRONTEND = textwrap.dedent("""\
    upstream backend {
        server backend:5000;
    }
    proxy_cache_path /var/cache/nginx/micro keys_zone=micro:1m;
    server {
        listen 3000;
        listen [::]:3000;
        location /static/ { alias /app/static/; }
        location /api/ { proxy_pass http://api:5000; }
        location / { proxy_pass http://backend; }
    }
    """)


def test_frontend_config_is_moved_to_our_port_backend_and_folder(tmp_path):
    conf = nginx.frontend_config(FRONTEND, tmp_path, 4000, "127.0.0.1:5001", "/src/app")
    assert conf.count("listen") == 1 and "listen 127.0.0.1:4000;" in conf
    assert "server 127.0.0.1:5001;" in conf
    assert "proxy_pass http://backend;" in conf  # an upstream name is kept
    assert "proxy_pass http://127.0.0.1:5001;" in conf
    assert f"proxy_cache_path {tmp_path}/cache/micro" in conf
    assert "alias /src/app/static/;" in conf
    assert f"pid {tmp_path}/nginx.pid;" in conf


def test_frontend_template_gets_our_backend_port_and_static_root(tmp_path):
    template = (
        "upstream b { server ${BACKEND_ADDR}; }\nserver { listen ${FRONTEND_PORT}; root ${STATIC_ROOT};\n"
        "  location / { proxy_set_header Host $http_host; proxy_pass http://b; } }\n"
    )
    conf = nginx.frontend_config(template, tmp_path, 4000, "127.0.0.1:5001", "/src/app")
    assert "server 127.0.0.1:5001;" in conf and "listen 127.0.0.1:4000;" in conf
    assert "root /src/app;" in conf and "$http_host" in conf and "${" not in conf


def test_no_frontend_config_means_none(tmp_path):
    assert nginx.find_frontend_config(tmp_path) is None


def test_static_baseline_serves_the_file_as_json(tmp_path):
    conf = nginx.static_config(tmp_path, 4000, tmp_path / "products.json")
    assert "listen 127.0.0.1:4000;" in conf and "default_type application/json;" in conf


def test_missing_scenario_module_is_reported_and_others_still_load(tmp_path, monkeypatch):
    (tmp_path / "bench_plugin_demo.py").write_text(
        "from bench.scenario import Scenario\n"
        "def scenarios():\n    return [Scenario('POST /orders', 'app', method='POST'), Scenario('other', 'app')]\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    found, notes = run.load_scenarios(("bench_plugin_demo", "bench_absent_demo"), only=["orders"])
    assert [s.name for s in found] == ["POST /orders"]
    assert notes == ["skipped: bench_absent_demo.py not present"]
    sys.modules.pop("bench_plugin_demo", None)


def test_fixed_rate_schedule_is_evenly_spaced_and_follows_weights():
    plan = fixed_rate.schedule([Request("GET", "/a", weight=3), Request("GET", "/b", weight=1)], 100, 10)
    assert len(plan) == 1000
    assert [offset for offset, _ in plan[:3]] == [0.0, 0.01, 0.02]
    share_a = sum(request.path == "/a" for _, request in plan) / len(plan)
    assert 0.7 < share_a < 0.8


def test_peak_rss_is_read_from_proc_status(tmp_path):
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "status").write_text("Name:\tgunicorn\nVmHWM:\t  102400 kB\nVmRSS:\t 1000 kB\n")
    (tmp_path / "42" / "stat").write_text("42 (gunicorn: worker) S 7 42 42 0")
    assert memory.peak_rss_mb(42, tmp_path) == 100.0
    assert memory.children(7, tmp_path) == [42]
    assert memory.peak_rss_mb(43, tmp_path) == 0.0


@pytest.mark.parametrize(
    "page",
    ['<body hx-headers=\'{"X-CSRFToken": "tok.en-1"}\'>', '<input type="hidden" name="csrf_token" value="tok.en-1">'],
)
def test_cart_session_token_is_found_where_htmx_or_a_form_carries_it(page):
    match = traffic.CSRF_TOKEN.search(page)
    assert (match.group(1) or match.group(2)) == "tok.en-1"


@pytest.mark.parametrize("load, warned", [(0.4, False), (3.0, True)])
def test_header_warns_when_the_machine_was_busy(load, warned):
    meta = {
        "machine": {"cores": 2, "cpu": "test cpu", "loadavg": (load, 0, 0)},
        "loadavg_after": (0.2, 0, 0),
        "gunicorn": "2 workers, gthread, 8 threads",
    }
    text = report.header(meta, run.parse_args(["--quick"]))
    assert ("warning: the machine was busy" in text) is warned
    assert "gunicorn: 2 workers, gthread, 8 threads" in text


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({"lua": "request = function() end"}, "request = function() end"),
        ({"method": "POST", "body": "{}"}, 'wrk.method = "POST"\nwrk.body = "{}"\n'),
    ],
)
def test_a_scenario_script_is_its_own_lua_or_one_made_from_method_and_body(tmp_path, fields, expected):
    ctx = Context({}, {}, run.parse_args(["--quick"]), tmp_path)
    run.load_function(Scenario("POST /orders", "app", **fields), "http://127.0.0.1:1", ctx)
    assert (tmp_path / "POST-orders.lua").read_text() == expected


def test_a_plain_get_needs_no_script(tmp_path):
    ctx = Context({}, {}, run.parse_args(["--quick"]), tmp_path)
    run.load_function(Scenario("GET /products", "app"), "http://127.0.0.1:1", ctx)
    assert list(tmp_path.iterdir()) == []


def test_cpu_time_is_utime_plus_stime_of_proc_stat(tmp_path):
    (tmp_path / "42").mkdir()
    # pid (comm) state ppid … field 14 utime, 15 stime, in clock ticks; a comm may hold spaces and ")".
    fields = ["S", "7"] + ["0"] * 9 + [str(3 * cpu.TICKS), str(cpu.TICKS)] + ["0"] * 5
    (tmp_path / "42" / "stat").write_text("42 (gunicorn: worker (x)) " + " ".join(fields))
    assert cpu.cpu_seconds(42, tmp_path) == 4.0
    assert cpu.cpu_seconds(43, tmp_path) == 0.0  # gone


def test_cpu_per_order_counts_new_processes_from_zero_and_adds_a_total():
    before = {"gunicorn": {1: 10.0, 2: 5.0}, "postgres": {}}
    after = {"gunicorn": {1: 10.5, 2: 5.25}, "postgres": {9: 0.25}}
    spent = cpu.spent(before, after)
    assert spent == {"gunicorn": 0.75, "postgres": 0.25}
    assert cpu.per_order_ms(spent, 100) == {"gunicorn": 7.5, "postgres": 2.5, "total": 10.0}
    assert cpu.per_order_ms(spent, 0) == {}


def test_a_run_with_cpu_groups_reports_cpu_ms_per_successful_order(tmp_path, monkeypatch):
    seconds = iter([1.0, 1.5])  # the process's CPU seconds before and after the run
    monkeypatch.setattr(cpu, "cpu_seconds", lambda _pid: next(seconds))
    scenario = Scenario("POST /orders", "app", cpu_groups=lambda _ctx: {"gunicorn": [1]})
    ctx = Context({}, {}, run.parse_args(["--quick"]), tmp_path)
    result = run.one_run(scenario, lambda _s: RunResult(100.0, 1.0, 2.0, errors=10, requests=110), ctx, ctx.options)
    assert result.cpu_ms == {"gunicorn": 5.0, "total": 5.0}  # 0.5 s over 100 answered orders


def test_neighbouring_scenarios_with_one_interleave_key_are_measured_in_turns():
    a, b, c, d = (Scenario(n, "app", interleave=k) for n, k in (("a", "x"), ("b", "x"), ("c", None), ("d", "x")))
    assert [[s.name for s in group] for group in run.in_turns([a, b, c, d])] == [["a", "b"], ["c"], ["d"]]


def test_cpu_table_lists_each_group_and_the_total():
    row = summary("POST /orders", 100, cpu_ms={"gunicorn": 1.5, "postgres": 0.5, "total": 2.0})
    table = report.cpu_table([row, summary("GET /products", 100)])
    assert "| POST /orders | 1.50 |  | 0.50 |  |  | 2.00 |" in table
    assert "GET /products" not in table


def test_ratio_target_text_says_the_measured_ratio_of_a_named_baseline():
    rows = {"ref": summary("ref", 100)}
    text, met = report.evaluate(Target(ratio_of="ref", min_ratio=1.5), summary("app", 120), rows)
    assert text == "≥ 1.5× ref (is 1.20×)" and met is False


def test_order_scripts_rotate_products_per_line_or_repeat_one_hot_product():
    three = orders.orders_script(lines=3)
    assert three.count('{"id": %d, "quantity": 1}') == 3 and "(n + 2) % 10 + 1" in three
    assert 'wrk.body = "{\\"items\\": [{\\"id\\": 1, \\"quantity\\": 1}]}"' in orders.orders_script(hot=True)


def test_reference_service_refuses_malformed_items():
    assert reference_app.parse_items({"items": [{"id": 1, "quantity": 2}, {"id": 1, "quantity": 1}]}) == {1: 3}
    for bad in (
        None,
        {},
        {"items": []},
        {"items": [{"id": "1", "quantity": 1}]},
        {"items": [{"id": 1, "quantity": 0}]},
    ):
        assert reference_app.parse_items(bad) is None
