"""`make bench`: serve the API the production way and measure it with wrk.

For each backend (SQLite with the file cache; PostgreSQL with Redis, started
by scripts/services), this migrates a throwaway database, seeds user
"bench" with 50 tasks, counts the SQL statements of one request of each
operation, starts gunicorn, and runs wrk on 127.0.0.1: a warm-up that is
thrown away, then a measured run, per operation. It prints a Markdown table
and writes it to bench-results/. Every run is bounded by wrk's duration.
"""

import argparse
import datetime as dt
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
LUA = ROOT / "scripts" / "bench.lua"
PASSWORD = "bench-Passw0rd!-long"
OPS = ["me", "tasks", "login", "refresh"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = free_port()

SEED = """
from django.contrib.auth import get_user_model
from tasks.models import Task
User = get_user_model()
user, _ = User.objects.get_or_create(username="bench", defaults={"email": "b@x.io"})
user.set_password(__PASSWORD__)
user.save()
Task.objects.filter(owner=user).delete()
Task.objects.bulk_create(
    Task(owner=user, title=f"Task {n}", priority=n % 3 + 1,
         status=["todo", "in_progress", "done"][n % 3])
    for n in range(50)
)
""".replace("__PASSWORD__", repr(PASSWORD))

COUNT = """
import json
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client()
def post(query, variables=None, token=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    body = json.dumps({"query": query, "variables": variables or {}})
    answer = client.post("/graphql/", body, content_type="application/json", **headers)
    return json.loads(answer.content)
LOGIN = "mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p)"
LOGIN += " { accessToken refreshToken } }"
pair = post(LOGIN, {"u": "bench", "p": __PASSWORD__})["data"]["tokenAuth"]
ops = {
    "me": ("{ me { id username } }", None, pair["accessToken"]),
    "tasks": ("{ tasks(pagination: {limit: 20}) { id title status priority dueDate } }",
              None, pair["accessToken"]),
    "login": (LOGIN, {"u": "bench", "p": __PASSWORD__}, None),
    "refresh": ("mutation($t: String) { refreshToken(refreshToken: $t) "
                "{ accessToken } }", {"t": pair["refreshToken"]}, None),
}
post("{ me { id } }", token=pair["accessToken"])
counts = {}
for name, (query, variables, token) in ops.items():
    with CaptureQueriesContext(connection) as captured:
        answer = post(query, variables, token)
    assert "errors" not in answer, answer
    counts[name] = len(captured.captured_queries)
print("COUNTS " + json.dumps(counts))
""".replace("__PASSWORD__", repr(PASSWORD))


def run(cmd: list, env: dict, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, env=env, cwd=ROOT, check=True, text=True, **kwargs)


def manage(env: dict, *args: str) -> str:
    return run([str(PYTHON), "manage.py", *args], env, capture_output=True).stdout


def graphql(query: str, variables: dict) -> dict:
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{PORT}/graphql/",
        body,
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def sign_in() -> dict:
    query = (
        "mutation($u: String!, $p: String!) { tokenAuth(username: $u, password: $p)"
        " { accessToken refreshToken } }"
    )
    return graphql(query, {"u": "bench", "p": PASSWORD})["data"]["tokenAuth"]


def wait_for_port(deadline: float) -> None:
    while time.time() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", PORT)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("the server did not start")


def start_server(env: dict, workers: int, threads: int) -> subprocess.Popen:
    cmd = [
        str(PYTHON), "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"127.0.0.1:{PORT}", "--workers", str(workers),
        "--threads", str(threads), "--worker-class", "gthread",
        "--no-control-socket", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(cmd, env=env, cwd=ROOT, start_new_session=True)
    wait_for_port(time.time() + 60)
    return server


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def wrk(op: str, seconds: int, connections: int, env: dict, tmp: Path) -> dict:
    wrk_env = {**env, "BENCH_OP": op, "BENCH_PASSWORD": PASSWORD}
    if op in ("me", "tasks"):
        wrk_env["BENCH_ACCESS"] = sign_in()["accessToken"]
    if op == "refresh":
        tokens = tmp / "refresh-tokens.txt"
        tokens.write_text(
            "\n".join(sign_in()["refreshToken"] for _ in range(connections)) + "\n"
        )
        wrk_env["BENCH_REFRESH_FILE"] = str(tokens)
    cmd = [
        "wrk", f"-t{connections}", f"-c{connections}", f"-d{seconds}s",
        "--timeout", "10s", "-s", str(LUA), f"http://127.0.0.1:{PORT}/graphql/",
    ]  # fmt: skip
    output = run(cmd, wrk_env, capture_output=True).stdout
    match = re.search(
        r"BENCH requests=(\d+) seconds=([\d.]+) p50=([\d.]+) p99=([\d.]+) bad=(\d+)",
        output,
    )
    if not match:
        raise RuntimeError(f"wrk gave no summary:\n{output}")
    requests, secs, p50, p99, bad = match.groups()
    return {
        "rps": int(requests) / float(secs),
        "p50": float(p50),
        "p99": float(p99),
        "requests": int(requests),
        "bad": int(bad),
    }


def measure(name: str, extra_env: dict, args: argparse.Namespace) -> list[dict]:
    tmp = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    env = {
        **os.environ,
        **extra_env,
        "DJANGO_VAR_DIR": str(tmp / "var"),
        "SQLITE_PATH": str(tmp / "db.sqlite3"),
        "DJANGO_DEBUG": "0",
        "RATE_LIMIT_ENABLED": "0",
        # Thousands of sign-ins and refreshes: keep the security log quiet.
        "SECURITY_LOG_LEVEL": "WARNING",
    }
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "shell", "-c", SEED)
        counts = json.loads(
            manage(env, "shell", "-c", COUNT).split("COUNTS ", 1)[1].strip()
        )
        server = start_server(env, args.workers, args.threads)
        try:
            rows = []
            for op in args.ops:
                wrk(op, args.warmup, args.connections, env, tmp)
                result = wrk(op, args.duration, args.connections, env, tmp)
                row = {"backend": name, "op": op, "queries": counts[op], **result}
                rows.append(row)
                print(
                    f"{name:16} {op:8} {result['rps']:8.1f} req/s  "
                    f"p50 {result['p50']:7.2f} ms  p99 {result['p99']:7.2f} ms  "
                    f"bad {result['bad']}",
                    file=sys.stderr,
                )
            return rows
        finally:
            stop_server(server)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def services_env() -> dict:
    output = subprocess.run(
        [str(ROOT / "scripts" / "services"), "start"],
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    return dict(line.split("=", 1) for line in output.split())


def table(rows: list[dict], args: argparse.Namespace) -> str:
    lines = [
        f"# make bench, {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"gunicorn gthread, {args.workers} workers x {args.threads} threads; wrk "
        f"{args.connections} connections, {args.warmup} s warm-up, "
        f"{args.duration} s measured; 1 user, 50 tasks; rate limits off.",
        "",
        "| backend | operation | req/s | p50 ms | p99 ms | queries/request"
        " | requests | bad |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['backend']} | {row['op']} | {row['rps']:.1f} | {row['p50']:.2f}"
            f" | {row['p99']:.2f} | {row['queries']} | {row['requests']}"
            f" | {row['bad']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", nargs="+", default=OPS, choices=OPS)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--backends", nargs="+", default=["sqlite", "postgres+redis"],
        choices=["sqlite", "postgres+redis"],
    )  # fmt: skip
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("make bench needs wrk: apt-get install -y wrk")

    rows = []
    if "sqlite" in args.backends:
        rows += measure("sqlite", {}, args)
    if "postgres+redis" in args.backends:
        try:
            rows += measure("postgres+redis", services_env(), args)
        finally:
            subprocess.run([str(ROOT / "scripts" / "services"), "stop"], check=False)

    text = table(rows, args)
    print(text)
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    path = out / f"bench-{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}.md"
    path.write_text(text)
    print(f"written to {path.relative_to(ROOT)}", file=sys.stderr)
    return 1 if any(row["bad"] for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
