"""`make bench`: load a realistic catalog into PostgreSQL, serve it with gunicorn, drive it
with wrk, and write every figure as a ratio to the same run's /healthz (bench/README.md). With
--servers gunicorn,granian the scenarios in COMPARED are also served by granian in the same run, each
right beside gunicorn's (bench/servers.py), for a server comparison table.

    .venv/bin/python bench/run.py [--duration 15] [--connections 16] [--quick] [--audit-cost]
        [--servers gunicorn[,granian]] [--db-prefix rxloop_bench] [--out bench/results]

Two benches on one PostgreSQL server need different --db-prefix (or BENCH_DB_PREFIX): each drops
and recreates its own databases, <prefix>_<products>, <prefix>_1k and <prefix>_pgbench.
"""

import argparse
import base64
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench import cpu, dataset, servers  # noqa: E402

BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
WORK = RESULTS / "tmp"
SERVER = os.environ.get("BENCH_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
SECRET = "bench-only-secret-key"
AUDIT_KEY = base64.b64encode(os.urandom(32)).decode()  # an Ed25519 key for this run's checkpoints
DATA_KEYS = f"bench:{base64.b64encode(os.urandom(32)).decode()}"  # this run's patient-data key ring
ADDRESS = {"name": "Bench Buyer", "line1": "1 Load St", "city": "Beijing", "postal_code": "100000",
           "country": "CN", "phone": "+86 138 0000 0000"}
SCENARIOS = ["healthz", "search", "product", "product_hot", "me", "review_queue", "checkout"]
# Served by every server of --servers, one right after the other (the order turning each time), for the
# server comparison: the bare hello, the floor, and three database-backed scenarios.
COMPARED = ["reference", "healthz", "me", "product", "checkout"]
DB_PREFIX = "rxloop_bench"
# Issue 16's targets: scenario → (minimum /healthz CPU per request ÷ the scenario's, maximum p99 ms or None).
TARGETS = {
    "me": (0.60, None), "product": (0.60, None), "search": (0.40, 50), "review_queue": (0.30, None),
    "checkout": (0.25, None),
}
HOT_TO_RANDOM = 0.7  # a hot product's rps at least this share of random products'
CHECKOUT_TO_TPCB = 0.5
PGBENCH_WARMUP_S = 5


def main() -> int:
    options = parse()
    # Stopped by a signal (even from a background shell, which ignores SIGINT), unwind so every server
    # and localstripe started so far is stopped too, instead of left serving.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
    WORK.mkdir(parents=True, exist_ok=True)
    options.out.mkdir(parents=True, exist_ok=True)
    require("wrk", "pgbench")
    size, prefix = options.products, options.db_prefix
    started = time.monotonic()
    if options.audit_cost:
        return audit_cost(options)
    print(f"== preparing databases ({size:,} and 1,000 products)", flush=True)
    big = prepare(f"{prefix}_{size}", products=size, patients=options.patients,
                  approved=options.approved, pending=options.pending)
    small = prepare(f"{prefix}_1k", products=1_000, patients=50, approved=20, pending=5)

    # by_server["gunicorn"] is the main table; every server's COMPARED rows make the comparison.
    by_server = {kind: {} for kind in options.servers}
    rows, notes = by_server["gunicorn"], {}

    def drive_all(running: dict, name: str, lua: Path, turn: int) -> None:
        kinds = options.servers if name in COMPARED else ["gunicorn"]
        for kind in turns(kinds, turn):
            by_server[kind][name] = drive(running[kind], name, lua, options)

    with serving(options.servers, "", payments="deferred", app="bench.hello:app") as running:
        drive_all(running, "reference", big["lua"], 0)
    with localstripe() as stripe_url:
        with serving(options.servers, big["url"], payments="deferred") as running:
            for turn, name in enumerate(SCENARIOS, start=1):
                drive_all(running, name, big["lua"], turn)
            notes["oversold"] = oversold(big["url"])
        with serve("gunicorn", big["url"], payments="stripe", stripe_url=stripe_url) as server:
            rows["checkout_stripe"] = drive(server, "checkout", big["lua"], options)
            notes["oversold_after_stripe"] = oversold(big["url"])
    with serve("gunicorn", small["url"], payments="deferred") as server:
        rows["search_1k"] = drive(server, "search", small["lua"], options)
    pgbench = run_pgbench(options)

    report = assemble(rows, notes, pgbench, options)
    report["server_comparison"] = compare(by_server)
    report["elapsed_s"] = round(time.monotonic() - started)
    (options.out / "latest.json").write_text(json.dumps(report, indent=2) + "\n")
    (options.out / "latest.md").write_text(markdown(report))
    print((options.out / "latest.md").read_text())
    replays = [f"{name} ({kind})" for kind, kind_rows in by_server.items() for name, row in kind_rows.items()
               if "orders_created" in row and not honest(row, options)]
    if replays:
        raise SystemExit(f"orders created differ from 201 responses in {', '.join(replays)}: the bench is not honest")
    return 0


def audit_cost(options) -> int:
    """Checkout with the audit log on and off, alternated (on, off, on, off, after one uncounted
    run that warms the database) in one run: the
    audit log's cost is the ratio, and the spread between repeats shows the machine's noise.
    Off runs as RXLOOP_ENV=bench, since production refuses AUDIT_ENABLED=0."""
    print(f"== preparing the database ({options.products:,} products)", flush=True)
    big = prepare(f"{options.db_prefix}_audit_{options.products}", products=options.products,
                  patients=options.patients, approved=options.approved, pending=options.pending)
    runs = {"on": [], "off": [], "cold": []}  # the first run meets a cold database: not counted
    for mode in ["cold", "on", "off", "on", "off"]:
        settings = {"RXLOOP_ENV": "bench", "AUDIT_ENABLED": "0"} if mode == "off" else {}
        with serve("gunicorn", big["url"], payments="deferred", **settings) as server:
            runs[mode].append(drive(server, "checkout", big["lua"], options)["rps"])
    on, off = sum(runs["on"]) / 2, sum(runs["off"]) / 2
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": machine()["commit"],
              "products": options.products, "duration_s": options.duration, "connections": options.connections,
              "checkout_rps_audit_on": runs["on"], "checkout_rps_audit_off": runs["off"],
              "ratio_on_to_off": on / off}
    (options.out / "audit-cost.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"checkout with audit ÷ without: {on / off:.2f} (on {runs['on']}, off {runs['off']})")
    return 0


def database_prefix(value: str) -> str:
    """A prefix for the bench's database names: it is spliced into DROP/CREATE DATABASE, so only lower-case
    letters, digits and underscores, starting with a letter, and short enough for PostgreSQL's 63-byte names."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", value):
        raise argparse.ArgumentTypeError(f"{value!r}: lower-case letters, digits and _, a letter first, at most 40")
    return value


def server_kinds(value: str) -> list[str]:
    try:
        return servers.parse_kinds(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def parse(argv: list[str] | None = None, environ=os.environ):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--duration", type=int, default=15, help="seconds per scenario")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unrecorded load before each scenario")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--approved", type=int, default=200, help="approved prescriptions (one per patient)")
    parser.add_argument("--pending", type=int, default=50, help="prescriptions waiting for review")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 2 s scenarios, 5,000 products")
    parser.add_argument("--audit-cost", action="store_true",
                        help="only checkout, with the audit log on and off (bench/README.md)")
    # gunicorn alone by default: the comparison adds a run of each COMPARED scenario and a second server's
    # start-up (about 2 minutes at 15 s a scenario) to a bench already longer than 8 minutes on the shared
    # machine (20,000 products, 8 s scenarios and both servers took 11 minutes there).
    parser.add_argument("--servers", type=server_kinds, default="gunicorn",
                        help="servers to drive on the COMPARED scenarios, e.g. gunicorn,granian (bench/servers.py); "
                             "gunicorn always: the main table's")
    parser.add_argument("--db-prefix", type=database_prefix, default=environ.get("BENCH_DB_PREFIX", DB_PREFIX),
                        help="the bench databases' name prefix (env BENCH_DB_PREFIX): one per concurrent bench")
    parser.add_argument("--out", type=Path, default=Path(environ.get("BENCH_OUT", RESULTS)),
                        help="where latest.md and latest.json go (env BENCH_OUT)")
    options = parser.parse_args(argv)
    if options.quick:
        options.duration, options.warmup, options.products, options.patients = 2, 1, 5_000, 100
        options.approved, options.pending = 40, 10
    return options


def require(*commands) -> None:
    missing = [c for c in commands if shutil.which(c) is None]
    if missing:
        raise SystemExit(f"bench needs {', '.join(missing)} (make bench installs wrk from Debian's packages)")


# ---- data ---------------------------------------------------------------------------

def prepare(name: str, **sizes) -> dict:
    """A fresh database with the schema (migrations) and the generated data, analysed."""
    from flask_migrate import upgrade

    from core.app import create_app
    from core.db import unit_of_work

    recreate(name)
    url = f"{SERVER}/{name}"
    started = time.monotonic()
    # Cheap password hashes for the generated accounts only: the benchmark never logs in.
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "RXLOOP_DATA_KEYS": DATA_KEYS, "ARGON2_TIME_COST": 1,
                      "ARGON2_MEMORY_COST": 1024, "LOG_LEVEL": "WARNING"})
    with app.app_context():
        upgrade()
        with unit_of_work(app) as session:
            data = dataset.load(session, products=sizes["products"], patients_count=sizes["patients"],
                                approved=sizes["approved"], pending=sizes["pending"])
    engine = app.extensions["rxloop.db"].engine
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    print(f"   {name}: {sizes['products']:,} products in {time.monotonic() - started:.0f} s", flush=True)
    lua = WORK / f"{name}.lua"
    lua.write_text(lua_table({
        "run": uuid.uuid4().hex[:12], "product_ids": data.product_ids, "otc_product_ids": data.otc_product_ids,
        "patient_tokens": data.patient_tokens, "pharmacist_token": data.pharmacist_token,
        "search_terms": data.search_terms, "address": json.dumps(ADDRESS),
    }))
    return {"url": url, "lua": lua}


def on_server(*statements: str):
    """Run statements on the server's maintenance database; the last one's scalar result."""
    admin = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            results = [conn.execute(text(statement)) for statement in statements]
            return results[-1].scalar() if results[-1].returns_rows else None
    finally:
        admin.dispose()


def on_server_rows(statement: str):
    admin = create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return conn.execute(text(statement)).scalars().all()
    finally:
        admin.dispose()


def recreate(name: str) -> None:
    on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')


def lua_table(values: dict) -> str:
    def literal(value):
        if isinstance(value, list):
            return "{" + ", ".join(literal(v) for v in value) + "}"
        return json.dumps(value)  # a JSON string is a valid Lua string literal for these values

    return "return {\n" + "".join(f"  {key} = {literal(value)},\n" for key, value in values.items()) + "}\n"


def oversold(url: str) -> dict:
    """Every reserved pack is held by exactly one live allocation, and no lot is below zero."""
    engine = create_engine(url)
    with engine.connect() as conn:
        mismatched = conn.scalar(text("""
            SELECT count(*) FROM inventory_lots l
            LEFT JOIN (SELECT lot_id, sum(quantity) AS held FROM lot_allocations
                       WHERE status = 'reserved' GROUP BY lot_id) a ON a.lot_id = l.id
            WHERE l.reserved <> coalesce(a.held, 0) OR l.reserved > l.on_hand"""))
        orders = conn.scalar(text("SELECT count(*) FROM orders"))
    engine.dispose()
    return {"lots_mismatched_or_oversold": mismatched, "orders": orders}


# ---- processes ----------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, process: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + 120  # a loaded machine starts 4 workers slowly
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1).close()
            return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error is an answer: it is up
                return
            time.sleep(0.2)
    raise SystemExit(f"{what} did not answer at {url}")


@contextmanager
def process(command, *, env=None, log_name: str, ready_url: str, what: str):
    log = open(WORK / log_name, "wb")
    proc = subprocess.Popen(command, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                            cwd=ROOT, start_new_session=True)
    try:
        wait_until_up(ready_url, proc, what)
        yield proc
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:  # it exited on its own (wait_until_up says why)
            pass
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        log.close()


@contextmanager
def localstripe():
    port = free_port()
    launcher = ROOT / "tests" / "plugins" / "localstripe_server.py"
    with process([sys.executable, "-P", str(launcher), str(port)], log_name="localstripe.log",
                 ready_url=f"http://127.0.0.1:{port}/v1/customers", what="localstripe"):
        yield f"http://127.0.0.1:{port}"


@dataclass(frozen=True)
class Server:
    kind: str  # gunicorn or granian (bench/servers.py)
    base: str
    pid: int  # the server runs in a session of its own: this master leads the group of its workers
    database: str  # whose PostgreSQL backends serve it ("" for the reference)


@contextmanager
def serve(kind: str, database_url: str, *, payments: str, stripe_url: str = "", app: str = "wsgi:app",
          **settings):
    port = free_port()
    env = {"DATABASE_URL": database_url, "SECRET_KEY": SECRET, "RXLOOP_ENV": "production",
           "AUDIT_SIGNING_KEY": AUDIT_KEY, "RXLOOP_DATA_KEYS": DATA_KEYS,
           "PAYMENTS_MODE": payments, "BENCH_BIND": f"127.0.0.1:{port}", "LOG_LEVEL": "WARNING",
           "STRIPE_SECRET_KEY": "sk_test_bench" if stripe_url else "", "STRIPE_API_BASE": stripe_url,
           "STRIPE_WEBHOOK_SECRET": "whsec_bench" if stripe_url else "", **settings}
    command = servers.command(kind, bin_dir=BIN, app=app, port=port)
    with process(command, env=env, log_name=f"{kind}-{payments}-{app.split(':')[0]}.log",
                 ready_url=f"http://127.0.0.1:{port}/healthz", what=kind) as proc:
        yield Server(kind, f"http://127.0.0.1:{port}", proc.pid,
                     database_url.rsplit("/", 1)[-1] if database_url else "")


@contextmanager
def serving(kinds: list[str], database_url: str, **options):
    """Every server of `kinds` up at once, on ports of their own: {kind: Server}. The idle ones' processes
    and connections cost next to nothing while another is driven."""
    with ExitStack() as stack:
        yield {kind: stack.enter_context(serve(kind, database_url, **options)) for kind in kinds}


def turns(kinds: list[str], turn: int) -> list[str]:
    """The order servers are driven in at the turn-th scenario: rotated each time, so none is always
    the first to meet a database the previous run left warm (or a table the previous checkout grew)."""
    if not kinds:
        return []
    shift = turn % len(kinds)
    return kinds[shift:] + kinds[:shift]


# ---- load ---------------------------------------------------------------------------

def backends(database: str) -> list[int]:
    """PostgreSQL backend pids connected to the bench database."""
    if not database:
        return []
    return list(on_server_rows(f"SELECT pid FROM pg_stat_activity WHERE datname = '{database}'"))


def cpu_sample(server: Server) -> tuple[dict[int, int], dict[int, int]]:
    """CPU ticks of the server's processes, and of the PostgreSQL backends of its database."""
    return cpu.sample(cpu.server(server.pid)), cpu.sample(backends(server.database))


def orders_of_run(server: Server, run: str) -> int:
    """Orders created by one wrk run, by their Idempotency-Key's prefix, once requests in flight when wrk
    stopped have finished (the count stops changing)."""
    engine = create_engine(f"{SERVER}/{server.database}")
    counts = []
    with engine.connect() as conn:
        while len(counts) < 2 or counts[-1] != counts[-2]:
            if counts:
                time.sleep(0.5)
            counts.append(conn.scalar(text("SELECT count(*) FROM orders WHERE idempotency_key LIKE :prefix"),
                                      {"prefix": f"{run}-%"}))
            conn.rollback()
    engine.dispose()
    return counts[-1]


def drive(server: Server, scenario: str, lua: Path, options) -> dict:
    script = str(ROOT / "bench" / "wrk" / "scenario.lua")

    def wrk(seconds: int, run: str) -> dict:
        env = {**os.environ, "RXLOOP_BENCH_DATA": str(lua), "RXLOOP_BENCH_SCENARIO": scenario,
               "RXLOOP_BENCH_RUN": run}  # fresh Idempotency-Keys every run
        out = subprocess.run(["wrk", "-t1", f"-c{options.connections}", f"-d{seconds}s", "--timeout", "10s",
                              "-s", script, server.base], env=env, capture_output=True, text=True,
                             check=True).stdout
        return json.loads(re.search(r"RXLOOP-RESULT (\{.*\})", out).group(1))

    if options.warmup:
        wrk(options.warmup, uuid.uuid4().hex[:12])
    run = uuid.uuid4().hex[:12]
    before = cpu_sample(server)
    raw = wrk(options.duration, run)
    after = cpu_sample(server)
    seconds = raw["duration_us"] / 1e6
    row = {"rps": raw["requests"] / seconds, "p50_ms": raw["p50_us"] / 1000, "p99_ms": raw["p99_us"] / 1000,
           "requests": raw["requests"], "ok": raw["ok"], "created": raw["created"], "conflict_409": raw["conflict"],
           "errors": raw["other"] + raw["socket_errors"],
           "cpu_us_per_request": sum(cpu.spent_us(b, a) for b, a in zip(before, after)) / max(raw["requests"], 1),
           "db_cpu_us_per_request": cpu.spent_us(before[1], after[1]) / max(raw["requests"], 1),
           "server_processes": len(cpu.server(server.pid))}  # master and workers whose CPU was counted
    checkout = scenario == "checkout"
    if checkout:
        # Requests in flight when wrk stops (at most one a connection) may create an order it never hears of.
        row["orders_created"] = orders_of_run(server, run)
        row["in_flight_at_stop"] = row["orders_created"] - row["created"]
    print(f"   {scenario:<16} {server.kind:<9} {row['rps']:8.0f} req/s  p50 {row['p50_ms']:6.1f} ms  p99 {row['p99_ms']:6.1f} ms"
          f"  {row['cpu_us_per_request']:8.0f} CPU µs/req  errors {row['errors']}"
          + (f"  orders {row['orders_created']} = 201s {row['created']}" if checkout else ""), flush=True)
    return row


def run_pgbench(options) -> dict:
    name = f"{options.db_prefix}_pgbench"
    recreate(name)
    host = ["-h", "127.0.0.1", "-p", "5432", "-U", "postgres"]
    subprocess.run(["pgbench", *host, "-i", "-q", "-s", "16", name], check=True, capture_output=True)
    figures = {}
    for extra in (["-S"], []):  # warm the server's caches for both scripts first, unrecorded
        subprocess.run(["pgbench", *host, *extra, "-n", "-c", str(options.connections), "-j", "1",
                        "-T", str(min(PGBENCH_WARMUP_S, options.duration)), name], check=True, capture_output=True)
    for label, extra in (("select_only", ["-S"]), ("tpcb", [])):
        out = subprocess.run(["pgbench", *host, *extra, "-n", "-c", str(options.connections), "-j", "1",
                              "-T", str(options.duration), name], check=True, capture_output=True, text=True).stdout
        figures[label] = float(re.search(r"tps = ([\d.]+) \(without initial connection time\)", out).group(1))
        print(f"   pgbench {label:<10} {figures[label]:8.0f} tps", flush=True)
    figures["server_version"] = on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', "SHOW server_version")
    return figures


# ---- report -------------------------------------------------------------------------

def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    memory_kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(memory_kb / 2**20, 1),
            "kernel": platform.release(), "python": platform.python_version(), "commit": commit}


def ratio(part: float, whole: float) -> float:
    """part ÷ whole; 0 when a run (a --quick one on a busy machine) measured nothing."""
    return part / whole if whole else 0.0


def honest(row: dict, options) -> bool:
    """Every 201 is a new order (no idempotent replays): the orders equal the 201s, give or take the
    requests in flight when wrk stopped (at most one a connection)."""
    return 0 <= row["orders_created"] - row["created"] <= options.connections


def assemble(rows: dict, notes: dict, pgbench: dict, options) -> dict:
    floor, reference = rows["healthz"], rows["reference"]
    for row in rows.values():
        row["ratio_to_healthz"] = ratio(row["rps"], floor["rps"])
        # CPU per request of /healthz (and of a bare WSGI hello) ÷ the scenario's: 1.0 costs as little
        row["cpu_ratio_to_healthz"] = ratio(floor["cpu_us_per_request"], row["cpu_us_per_request"])
        row["cpu_ratio_to_reference"] = ratio(reference["cpu_us_per_request"], row["cpu_us_per_request"])
    checkout_vs_pgbench = ratio(rows["checkout"]["rps"], pgbench["tpcb"])
    targets = []
    for name, (share, p99) in TARGETS.items():
        row = rows[name]
        met = row["cpu_ratio_to_healthz"] >= share and (p99 is None or row["p99_ms"] <= p99)
        want = f"CPU/request ≥ {share:.2f} of /healthz's" + (f", p99 ≤ {p99} ms" if p99 else "")
        got = f"{row['cpu_ratio_to_healthz']:.2f}" + (f", p99 {row['p99_ms']:.1f} ms" if p99 else "")
        targets.append({"target": f"{name}: {want}", "measured": got, "met": met})
    targets.append({"target": f"checkout ≥ {CHECKOUT_TO_TPCB}× pgbench TPC-B tps",
                    "measured": f"{checkout_vs_pgbench:.2f}×", "met": checkout_vs_pgbench >= CHECKOUT_TO_TPCB})
    hot = ratio(rows["product_hot"]["rps"], rows["product"]["rps"])
    targets.append({"target": f"one hot product ≥ {HOT_TO_RANDOM}× random products' rps",
                    "measured": f"{hot:.2f}×", "met": hot >= HOT_TO_RANDOM})
    clean = rows["checkout"]["errors"] == 0 and notes["oversold"]["lots_mismatched_or_oversold"] == 0
    targets.append({"target": "checkout: no errors but clean 409s, 0 oversold",
                    "measured": f"{rows['checkout']['errors']} errors, {rows['checkout']['conflict_409']} × 409, "
                                f"{notes['oversold']['lots_mismatched_or_oversold']} lots off",
                    "met": clean})
    for name in ("checkout", "checkout_stripe"):
        row = rows[name]
        targets.append({"target": f"{name}: orders created = 201 responses (no idempotent replays; "
                                  f"+ at most {options.connections} in flight at the stop)",
                        "measured": f"{row['orders_created']:,} orders, {row['created']:,} × 201",
                        "met": honest(row, options)})
    growth = ratio(rows["search"]["p50_ms"], rows["search_1k"]["p50_ms"])
    targets.append({"target": f"search p50 at {options.products:,} products ≤ 2× at 1,000",
                    "measured": f"{growth:.2f}×", "met": growth <= 2})
    return {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine(),
            "postgres": pgbench["server_version"],
            "config": {"duration_s": options.duration, "warmup_s": options.warmup,
                       "connections": options.connections, "products": options.products,
                       "gunicorn": "4 workers × 4 threads (gthread, 4 connections each)", "load": "wrk -t1"},
            "scenarios": rows, "pgbench": {k: v for k, v in pgbench.items() if k != "server_version"},
            "checkout_to_pgbench_tpcb": checkout_vs_pgbench, "checks": notes, "targets": targets}


COMPARED_FIGURES = ["rps", "cpu_us_per_request", "p50_ms", "p99_ms"]


def compare(by_server: dict[str, dict[str, dict]]) -> dict:
    """The server comparison: for each COMPARED scenario every server's figures, and each one's ratio to
    gunicorn's (another server ÷ gunicorn: above 1 is more requests a second, or more CPU and latency)."""
    base = by_server["gunicorn"]
    others = [kind for kind in by_server if kind != "gunicorn"]
    rows = []
    for name in COMPARED:
        if not all(name in by_server[kind] for kind in by_server):
            continue
        row = {"scenario": name, "servers": {}}
        for kind, kind_rows in by_server.items():
            figures = {key: kind_rows[name][key] for key in [*COMPARED_FIGURES, "errors", "server_processes"]}
            row["servers"][kind] = figures
        row["ratios"] = {kind: {key: ratio(by_server[kind][name][key], base[name][key]) for key in COMPARED_FIGURES}
                         for kind in others}
        rows.append(row)
    return {"servers": list(by_server), "shape": f"{servers.PROCESSES} processes × {servers.THREADS} threads",
            "scenarios": rows}


def comparison_markdown(comparison: dict) -> list[str]:
    others = [kind for kind in comparison["servers"] if kind != "gunicorn"]
    if not others:
        return []
    lines = ["", "## Server comparison", "",
             f"The same scenarios served by each server in the same shape ({comparison['shape']}; "
             "bench/servers.py maps gunicorn's settings to granian's), each run right beside gunicorn's, the order "
             "turning from one scenario to the next. The ratios are the other server's figure ÷ gunicorn's: "
             "above 1.00 is more requests a second, or more CPU and latency.", "",
             "| scenario | server | req/s | CPU µs/req | p50 ms | p99 ms | errors | processes counted |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for row in comparison["scenarios"]:
        for kind, f in row["servers"].items():
            lines.append(f"| {LABELS[row['scenario']]} | {kind} | {f['rps']:.0f} | {f['cpu_us_per_request']:.0f} | "
                         f"{f['p50_ms']:.1f} | {f['p99_ms']:.1f} | {f['errors']} | {f['server_processes']} |")
    lines += ["", "| scenario | " + " | ".join(f"{k} ÷ gunicorn: {m}" for k in others
                                                 for m in ("req/s", "CPU/req", "p50", "p99")) + " |",
              "| --- |" + " ---: |" * (4 * len(others))]
    for row in comparison["scenarios"]:
        cells = [f"{row['ratios'][k][m]:.2f}" for k in others for m in COMPARED_FIGURES]
        lines.append(f"| {LABELS[row['scenario']]} | " + " | ".join(cells) + " |")
    return lines


LABELS = {"reference": "bare WSGI hello (reference)", "healthz": "GET /healthz (floor)",
          "search": "search `?q=<3 letters>`", "product": "product detail, random of 1,000",
          "product_hot": "product detail, one hot product", "me": "GET /me (bearer)",
          "review_queue": "pharmacist review queue", "checkout": "OTC checkout, payments deferred",
          "checkout_stripe": "OTC checkout, localstripe intent", "search_1k": "search at 1,000 products"}


def markdown(report: dict) -> str:
    m, c = report["machine"], report["config"]
    lines = [
        "# rxloop benchmark: latest run", "",
        f"{report['when']} · commit `{m['commit']}` · {m['cpu']}, {m['cores']} cores, {m['memory_gib']} GiB · "
        f"Linux {m['kernel']} · Python {m['python']} · PostgreSQL {report['postgres']}", "",
        f"{c['products']:,} products (2 lots each), gunicorn {c['gunicorn']}, {c['load']} with "
        f"{c['connections']} connections, {c['duration_s']} s per scenario after {c['warmup_s']} s warm-up. "
        "CPU µs per request counts the server's processes and the PostgreSQL backends of its database "
        "(from /proc); its ratios are /healthz's (or the bare hello's) CPU per request ÷ the scenario's, so "
        "1.00 costs as little. Absolute figures swing between runs on this machine; the ratios, taken in one "
        "run, are the result.", "",
        "| scenario | req/s | rps × /healthz | CPU µs/req | of which PostgreSQL | CPU × /healthz | CPU × hello "
        "| p50 ms | p99 ms | 409 | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, row in report["scenarios"].items():
        lines.append(f"| {LABELS[name]} | {row['rps']:.0f} | {row['ratio_to_healthz']:.2f} | "
                     f"{row['cpu_us_per_request']:.0f} | {row.get('db_cpu_us_per_request', 0):.0f} | "
                     f"{row['cpu_ratio_to_healthz']:.2f} | "
                     f"{row['cpu_ratio_to_reference']:.2f} | {row['p50_ms']:.1f} | "
                     f"{row['p99_ms']:.1f} | {row['conflict_409']} | {row['errors']} |")
    p = report["pgbench"]
    lines += ["", f"pgbench on the same server after {PGBENCH_WARMUP_S} s of unrecorded warm-up per script, "
                  f"{c['connections']} clients, scale 16: select-only {p['select_only']:.0f} tps, TPC-B "
                  f"{p['tpcb']:.0f} tps. OTC checkout (deferred) = {report['checkout_to_pgbench_tpcb']:.2f} × TPC-B.",
              "", "| target | measured | met |", "| --- | --- | --- |"]
    lines += [f"| {t['target']} | {t['measured']} | {'yes' if t['met'] else 'no'} |" for t in report["targets"]]
    lines += ["", "Where each scenario's CPU goes, and why a target is missed: the profiles in "
                  "[`../README.md`](../README.md#where-the-cost-is-now-issue-16)."]
    checks = report["checks"]
    lines += ["", f"Stock after the checkout runs: {checks['oversold_after_stripe']['orders']:,} orders, "
                  f"{checks['oversold_after_stripe']['lots_mismatched_or_oversold']} lots whose reserved count "
                  "differs from their live allocations or exceeds what is on hand."]
    lines += comparison_markdown(report.get("server_comparison", {"servers": []}))
    return "\n".join(lines + [""])

if __name__ == "__main__":
    sys.exit(main())
