#!/usr/bin/env python3
"""scopegate's benchmark: one run, side by side, all on loopback.

    scripts/bench                 # the full run (release build, ~15 minutes)
    scripts/bench --smoke         # every scenario for a moment; checks, no figures

A local HTTPS upstream (scopegate-loadgen --upstream) stands in for Railway
and GitHub. scopegate-loadgen drives it (a) directly, (b) through scopegate
intercepting, inspecting, deciding and logging, (c) through scopegate's plain
tunnel for a host it does not intercept, and (d) through mitmproxy running
bench/guard_addon.py, the same guard work in Python. Each scenario reports
throughput, latency percentiles, the proxy's CPU time per request (from
/proc/PID/stat), its peak RSS (VmHWM, reset before every scenario through
/proc/PID/clear_refs), and for scopegate the decision log's backlog (journal
entries not yet in the database) during and after the run.

Results: target/bench/report.md and report.json. docs/performance.md says
how to read them. Nothing here is a pass/fail test of speed: the targets are
printed as met or missed; --smoke fails only if a scenario does not work.
"""

import argparse
import resource
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "crates/inspect/tests/fixtures/railway-cli"
RAILWAY_TOKEN = "bench-railway-token"
GITHUB_TOKEN = "bench-github-token"
RESOLVE_TOKEN = "bench-resolve-token"
RAILWAY_FP = "sha256:a17a45c2a045068c54255aa2f71478989a2f94b36918e4f7aaea88a2395ad870"
TUNNEL_HOST = "tunnel.bench.test"
CLK_TCK = os.sysconf("SC_CLK_TCK")
STREAM_BYTES = 64 << 20

# Railway CLI documents, exactly as the CLI sends them, with variables that
# change on every request ({n}); reads and writes the bench token may do.
RAILWAY_DOCS = {
    "queries/Project": {"id": "p-{n}"},
    "queries/Environments": {"projectId": "p-{n}", "first": 20},
    "queries/ServiceInstance": {"environmentId": "e-{n}", "serviceId": "s-{n}"},
    "queries/DeploymentStatus": {"id": "d-{n}"},
    "queries/VariablesForServiceDeployment": {
        "projectId": "p-{n}",
        "environmentId": "e-{n}",
        "serviceId": "s-{n}",
    },
    "queries/LatestDeployment": {"serviceId": "s-{n}", "environmentId": "e-{n}"},
    "queries/Domains": {"environmentId": "e-{n}", "projectId": "p-{n}", "serviceId": "s-{n}"},
    "queries/Deployments": {"input": {"projectId": "p-{n}", "serviceId": "s-{n}"}, "first": 5},
    "mutations/ServiceInstanceDeploy": {"environmentId": "e-{n}", "serviceId": "s-{n}"},
    "mutations/DeploymentRestart": {"id": "d-{n}"},
    "mutations/ServiceDomainCreate": {"environmentId": "e-{n}", "serviceId": "s-{n}", "targetPort": 8080},
    "mutations/CustomDomainCreate": {
        "input": {
            "domain": "d{n}.example.com",
            "environmentId": "e-{n}",
            "projectId": "p-{n}",
            "serviceId": "s-{n}",
        }
    },
}

GITHUB_CALLS = [
    {"method": "GET", "path": "/repos/acme/site/issues?state=open&page={n}"},
    {"method": "GET", "path": "/repos/acme/site/pulls/{n}"},
    {"method": "GET", "path": "/user"},
    {"method": "GET", "path": "/repos/acme/site/actions/runs?per_page=20"},
    {
        "method": "POST",
        "path": "/repos/acme/site/issues/{n}/comments",
        "body": '{"body":"build {n} passed"}',
    },
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(pred, what, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if pred():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"bench: timed out waiting for {what}")


def port_open(port):
    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
        return True


def write_requests(work):
    railway = []
    for doc, variables in RAILWAY_DOCS.items():
        text = (FIXTURES / f"{doc}.graphql").read_text()
        name = doc.split("/")[1]
        body = json.dumps({"query": text, "variables": variables, "operationName": name})
        railway.append({"method": "POST", "path": "/graphql/v2", "body": body})
    github = [
        {**c, "headers": {"accept": "application/vnd.github+json"}} for c in GITHUB_CALLS
    ]
    # A large download scopegate allows (GitHub's repository tarball route);
    # the upstream answers ?bytes=N with N bytes, streamed.
    stream = [{"method": "GET", "path": f"/repos/acme/site/tarball/main?bytes={STREAM_BYTES}"}]
    # Branch deletes: one branch again and again (resolved from the cache
    # after the first), and a new branch every time (an active lookup each:
    # two GETs of the upstream, which answers `protected: false`).
    same = [{"method": "DELETE", "path": "/repos/acme/site/git/refs/heads/feature"}]
    new = [{"method": "DELETE", "path": "/repos/acme/site/git/refs/heads/feature-{n}"}]
    files = {}
    for name, rows in (("railway", railway), ("github", github), ("stream", stream),
                       ("ref-delete", same), ("ref-delete-new", new)):
        path = work / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        files[name] = path
    return files


class Proc:
    """A child process with its output in a file, stopped on exit."""

    def __init__(self, name, argv, work, env=None):
        self.name = name
        self.log = open(work / f"{name}.log", "wb")
        self.p = subprocess.Popen(
            argv,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=work,
        )

    @property
    def pid(self):
        return self.p.pid

    def alive(self):
        return self.p.poll() is None

    def cpu_seconds(self):
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime and stime are fields 14 and 15; [0] here is field 3.
        return (int(fields[11]) + int(fields[12])) / CLK_TCK

    def reset_peak_rss(self):
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
        except OSError:
            pass

    def status_kb(self, key):
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
        return 0

    def stop(self):
        if self.alive():
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        self.log.close()


def metrics(admin_port):
    with urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/metrics", timeout=2) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(scopegate_log_\w+) (\d+)$", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


def backlog(admin_port):
    return metrics(admin_port).get("scopegate_log_backlog", 0)


class Scopegate:
    def __init__(self, args, work, upstream_port, up_ca, store_url=None, tag="sqlite"):
        self.port, self.admin, self.dashboard = free_port(), free_port(), free_port()
        data = work / f"scopegate-{tag}"
        shutil.rmtree(data, ignore_errors=True)
        # serve refuses a data folder that group or others can read
        data.mkdir(mode=0o700)
        export = work / f"ca-public-{tag}"
        store = f'url = "{store_url}"\n' if store_url else ""
        routes = "\n".join(
            f'"{h}:443" = "127.0.0.1:{upstream_port}"'
            for h in ("backboard.railway.com", "api.github.com", TUNNEL_HOST)
        )
        config = data / "scopegate.toml"
        config.write_text(
            f"""version = 1
scope_map = "{ROOT / 'bench/scope-map.toml'}"
data_dir = "{data}"

[proxy]
listen = "127.0.0.1:{self.port}"
egress = "tunnel"
worker_threads = {args.proxy_workers}

[admin]
listen = "127.0.0.1:{self.admin}"

[dashboard]
listen = "127.0.0.1:{self.dashboard}"

[ca]
export = "{export}"

[upstream]
extra_ca_files = ["{up_ca}"]

[upstream.routes]
{routes}

[store]
{store}
[log]
format = "json"
"""
        )
        self.proc = Proc(f"scopegate-{tag}", [str(args.bin_dir / "scopegate"), "serve", "--config", str(config)], work)
        wait_for(lambda: port_open(self.admin) and port_open(self.port), "scopegate")
        self.ca = export / "ca.pem"
        wait_for(self.ca.exists, "scopegate's CA")


class Mitmproxy:
    def __init__(self, args, work, upstream_port, up_ca):
        self.port = free_port()
        confdir = work / "mitmproxy"
        shutil.rmtree(confdir, ignore_errors=True)
        env = {
            "SG_BENCH_UPSTREAM": f"127.0.0.1:{upstream_port}",
            "SG_BENCH_CATALOG": str(ROOT / "config/catalog/railway.toml"),
            "SG_BENCH_STATE": str(work / "mitmproxy-guard"),
            "SG_BENCH_TOKENS": json.dumps({RAILWAY_FP: ["read", "write"]}),
        }
        argv = [
            str(args.mitmdump),
            "--quiet",
            "--listen-host", "127.0.0.1",
            "--listen-port", str(self.port),
            "--set", f"confdir={confdir}",
            "--set", f"ssl_verify_upstream_trusted_ca={up_ca}",
            "--set", "stream_large_bodies=1m",
            "-s", str(ROOT / "bench/guard_addon.py"),
        ]
        self.proc = Proc("mitmproxy", argv, work, env)
        self.ca = confdir / "mitmproxy-ca-cert.pem"
        wait_for(lambda: port_open(self.port) and self.ca.exists(), "mitmproxy", 60)


def run_load(args, scenario, url, files, via_port, cacert, connect_to=None):
    argv = [
        str(args.bin_dir / "scopegate-loadgen"),
        "--url", url,
        "--cacert", str(cacert),
        "--requests", str(files[scenario["workload"].removesuffix("+resolved")]),
        "-c", str(scenario["conns"]),
        "-d", str(scenario.get("duration", args.duration)),
    ]
    token = RAILWAY_TOKEN if scenario["workload"] == "railway" else GITHUB_TOKEN
    if scenario["workload"].endswith("+resolved"):
        token = RESOLVE_TOKEN
    argv += ["-H", f"authorization: Bearer {token}", "-H", "content-type: application/json"]
    if via_port:
        argv += ["--proxy", f"127.0.0.1:{via_port}"]
    if connect_to:
        argv += ["--connect-to", f"127.0.0.1:{connect_to}"]
    if scenario["new_conn"]:
        argv.append("--new-connection")
    if scenario.get("idle"):
        argv += ["--idle", str(scenario["idle"])]
    out = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise SystemExit(f"bench: loadgen failed for {scenario}: {out.stderr.strip()}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def scenarios(args):
    conns = [1, 8] if args.smoke else args.conns
    out = []
    for via in ("direct", "scopegate", "tunnel", "mitmproxy"):
        for new_conn in (False, True):
            for c in conns:
                if args.smoke and new_conn and c > 1:
                    continue
                # Peak memory is measured in a proxy process of its own:
                # glibc keeps what earlier scenarios freed.
                fresh = via == "scopegate" and c >= 1000 and not new_conn
                out.append({"via": via, "workload": "railway", "conns": c, "new_conn": new_conn, "fresh": fresh})
    # Memory per open connection: 1,000 intercepted connections held open
    # (each used once) while 8 others carry the load.
    out.append({"via": "scopegate", "workload": "railway", "conns": 8, "new_conn": False,
                "idle": 100 if args.smoke else 1000, "fresh": True})
    for via in ("direct", "scopegate"):
        for c in (1, 8):
            out.append({"via": via, "workload": "github", "conns": c, "new_conn": False})
    # Resolution: the same deletes allowed by a rule that needs no attribute
    # (bench-github) and by one that needs `ref.protected` (+resolved).
    for workload in ("ref-delete", "ref-delete+resolved", "ref-delete-new", "ref-delete-new+resolved"):
        out.append({"via": "scopegate", "workload": workload, "conns": 1, "new_conn": False})
    for via in ("direct", "scopegate", "tunnel", "mitmproxy"):
        out.append({"via": via, "workload": "stream", "conns": 1, "new_conn": False, "duration": max(args.duration, 2) if not args.smoke else args.duration})
    return out


def measure(args, scenario, files, up, sg, mitm):
    via = scenario["via"]
    host = "backboard.railway.com" if scenario["workload"] == "railway" else "api.github.com"
    if via == "tunnel":
        host = TUNNEL_HOST
    path = "/graphql/v2" if scenario["workload"] == "railway" else "/"
    url = f"https://{host}{path}"
    proxy = None
    if via == "direct":
        target = dict(via_port=None, cacert=up["ca"], connect_to=up["port"])
    elif via == "scopegate":
        target, proxy = dict(via_port=sg.port, cacert=sg.ca), sg.proc
    elif via == "tunnel":
        target, proxy = dict(via_port=sg.port, cacert=up["ca"]), sg.proc
    else:
        target, proxy = dict(via_port=mitm.port, cacert=mitm.ca), mitm.proc
    watch = {"max_backlog": 0, "stop": False}

    def watch_log():
        while not watch["stop"]:
            try:
                watch["max_backlog"] = max(watch["max_backlog"], backlog(sg.admin))
            except OSError:
                pass
            time.sleep(0.1)

    watcher = None
    if via == "scopegate":
        watcher = threading.Thread(target=watch_log, daemon=True)
        watcher.start()
    if proxy:
        proxy.reset_peak_rss()
        cpu0 = proxy.cpu_seconds()
    # The client's and the upstream's own CPU per request: what a proxy's two
    # sides (a TLS server + HTTP server, a TLS client + HTTP client) cost at
    # least, whatever else it does (docs/performance.md, "the ceiling").
    kids0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    up0 = up["proc"].cpu_seconds()
    result = run_load(args, scenario, url, files, **target)
    kids1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    up_cpu = up["proc"].cpu_seconds() - up0
    row = {**scenario, **{k: result.get(k) for k in (
        "requests", "errors", "throughput_rps", "p50_us", "p99_us", "p999_us", "max_us", "mb_per_s", "response_bytes",
        "statuses", "idle_ok")}}
    n = max(result["requests"], 1)
    client_cpu = (kids1.ru_utime + kids1.ru_stime) - (kids0.ru_utime + kids0.ru_stime)
    row["client_cpu_us_per_req"] = round(client_cpu * 1e6 / n, 1)
    row["upstream_cpu_us_per_req"] = round(up_cpu * 1e6 / n, 1)
    if proxy:
        cpu = proxy.cpu_seconds() - cpu0
        row["proxy_cpu_us_per_req"] = round(cpu * 1e6 / n, 1)
        row["proxy_peak_rss_mb"] = round(proxy.status_kb("VmHWM") / 1024, 1)
    if watcher:
        ended = time.monotonic()
        wait_for(lambda: backlog(sg.admin) == 0, "the decision log to catch up", 20)
        row["log_drain_s"] = round(time.monotonic() - ended, 2)
        watch["stop"] = True
        watcher.join()
        row["log_max_backlog"] = watch["max_backlog"]
    return row


def warm_up(args, via, files, up, sg, mitm):
    """Half a second of load first: leaf certificates, pooled upstream
    connections and caches are made before anything is measured."""
    measure(args, {"via": via, "workload": "railway", "conns": 4, "new_conn": False, "duration": 0.5}, files, up, sg, mitm)


def fmt(v, nd=0):
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:,.{nd}f}"
    return f"{v:,}"


def conns(r):
    return f"{r['conns']} (+{r['idle']:,} open)" if r.get("idle") else str(r["conns"])


def table(rows):
    head = ("| via | workload | conns | connection | req/s | p50 µs | p99 µs | p99.9 µs | errors | "
            "proxy CPU µs/req | client CPU µs/req | upstream CPU µs/req | proxy peak RSS MB | MB/s | "
            "log backlog max | log drained after s |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        ok = sum(v for k, v in (r.get("statuses") or {}).items() if k.startswith("2"))
        bad = (r["errors"] or 0) + (r["requests"] or 0) - ok
        lines.append(
            f"| {r['via']}{' (' + r['store'] + ')' if r.get('store') else ''} | {r['workload']} | {conns(r)} | "
            f"{'new' if r['new_conn'] else 'keep-alive'} | {fmt(r['throughput_rps'])} | {fmt(r['p50_us'])} | "
            f"{fmt(r['p99_us'])} | {fmt(r['p999_us'])} | {bad} | {fmt(r.get('proxy_cpu_us_per_req'), 1)} | "
            f"{fmt(r.get('client_cpu_us_per_req'), 1)} | {fmt(r.get('upstream_cpu_us_per_req'), 1)} | "
            f"{fmt(r.get('proxy_peak_rss_mb'), 1)} | {fmt(r['mb_per_s'], 1) if r['workload'] == 'stream' else '–'} | "
            f"{fmt(r.get('log_max_backlog'))} | {fmt(r.get('log_drain_s'), 2)} |"
        )
    return "\n".join(lines)


def find(rows, **kw):
    for r in rows:
        if all(r.get(k) == v for k, v in kw.items()) and not r.get("store"):
            return r
    return None


def targets(rows):
    out = []

    def add(name, value, goal, ok):
        out.append({"target": name, "measured": value, "goal": goal, "met": ok})

    d8, s8 = find(rows, via="direct", workload="railway", conns=8, new_conn=False), find(rows, via="scopegate", workload="railway", conns=8, new_conn=False)
    if d8 and s8:
        ratio = s8["throughput_rps"] / d8["throughput_rps"]
        add("intercepted keep-alive throughput at 8 connections vs direct", f"{ratio:.2f}×", "≥ 0.5×", ratio >= 0.5)
    d1, s1 = find(rows, via="direct", workload="railway", conns=1, new_conn=False), find(rows, via="scopegate", workload="railway", conns=1, new_conn=False)
    if d1 and s1:
        added = s1["p50_us"] - d1["p50_us"]
        add("added p50 latency at 1 connection", f"{added} µs", "≤ 100 µs", added <= 100)
    m8 = find(rows, via="mitmproxy", workload="railway", conns=8, new_conn=False)
    if s8 and m8 and m8["throughput_rps"]:
        ratio = s8["throughput_rps"] / m8["throughput_rps"]
        add("throughput vs mitmproxy with the same guard (8 connections)", f"{ratio:.1f}×", "≥ 50×", ratio >= 50)
    dn, sn = find(rows, via="direct", workload="railway", conns=1, new_conn=True), find(rows, via="scopegate", workload="railway", conns=1, new_conn=True)
    if dn and sn:
        added = sn["p50_us"] - dn["p50_us"]
        add("added p50 for a new intercepted connection", f"{added / 1000:.2f} ms", "≤ 2 ms", added <= 2000)
    for name, workload in (("a cache-hit resolution", "ref-delete"), ("an active lookup (two GETs upstream)", "ref-delete-new")):
        plain, resolved = find(rows, workload=workload), find(rows, workload=f"{workload}+resolved")
        if plain and resolved:
            added = resolved["p50_us"] - plain["p50_us"]
            goal = 50 if workload == "ref-delete" else 2000
            add(f"added p50 of {name}, 1 connection", f"{added} µs", f"≤ {goal} µs", added <= goal)

    def rss(name, picked):
        if picked:
            worst = max(r["proxy_peak_rss_mb"] for r in picked)
            add(name, f"{worst:.1f} MB", "≤ 64 MB", worst <= 64)

    sg_rows = [r for r in rows if r["via"] == "scopegate" and not r.get("store")]
    rss("peak RSS with 1,000 open intercepted connections (8 busy)",
        [r for r in sg_rows if (r.get("idle") or 0) >= 1000])
    rss("peak RSS with 1,000 busy intercepted connections (a request in flight on each)",
        [r for r in sg_rows if r["conns"] >= 1000 and not r["new_conn"]])
    logged = [r for r in rows if r["via"] == "scopegate" and r["workload"] != "stream" and "log_drain_s" in r]
    for store in sorted({r.get("store") or "sqlite" for r in logged}):
        mine = [r for r in logged if (r.get("store") or "sqlite") == store]
        worst = max(r["log_drain_s"] for r in mine)
        add(f"decision log keeps up ({store}): longest catch-up after a run", f"{worst:.2f} s", "≤ 1 s", worst <= 1.0)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin-dir", type=Path, default=ROOT / "target/release")
    ap.add_argument("--out", type=Path, default=ROOT / "target/bench")
    ap.add_argument("--duration", type=float, default=5.0, help="seconds per scenario")
    ap.add_argument("--conns", type=int, nargs="+", default=[1, 8, 64, 1000])
    ap.add_argument("--mitmdump", type=Path, default=ROOT / "target/bench-venv/bin/mitmdump")
    ap.add_argument("--no-mitmproxy", action="store_true")
    ap.add_argument("--postgres", default=os.environ.get("SCOPEGATE_BENCH_DATABASE_URL"),
                    help="also run the logged scenarios with this Postgres database as the log")
    ap.add_argument("--proxy-workers", type=int, default=0,
                    help="scopegate's [proxy] worker_threads (0: one per CPU, the default)")
    ap.add_argument("--only", default="", help="run only scenarios whose via/workload match this regex")
    ap.add_argument("--smoke", action="store_true", help="every scenario briefly; fail if any does not work")
    args = ap.parse_args()
    args.bin_dir = args.bin_dir.resolve()
    args.out = args.out.resolve()
    args.mitmdump = args.mitmdump.resolve()
    if args.smoke:
        args.duration = min(args.duration, 0.5)
    work = args.out / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    files = write_requests(work)
    procs = []
    try:
        up_port = free_port()
        up_ca = work / "upstream-ca.pem"
        upstream = Proc("upstream", [str(args.bin_dir / "scopegate-loadgen"), "--upstream", f"127.0.0.1:{up_port}",
                                     "--upstream-host", "backboard.railway.com", "--upstream-host", "api.github.com",
                                     "--upstream-host", TUNNEL_HOST, "--ca-out", str(up_ca)], work)
        procs.append(upstream)
        wait_for(lambda: port_open(up_port) and up_ca.exists(), "the upstream")
        up = {"port": up_port, "ca": up_ca, "proc": upstream}
        sg = Scopegate(args, work, up_port, up_ca)
        procs.append(sg.proc)
        mitm = None
        if not args.no_mitmproxy:
            mitm = Mitmproxy(args, work, up_port, up_ca)
            procs.append(mitm.proc)
        plan = [s for s in scenarios(args) if re.search(args.only, f"{s['via']}/{s['workload']}")]
        if mitm is None:
            plan = [s for s in plan if s["via"] != "mitmproxy"]
        for via in sorted({s["via"] for s in plan}):
            warm_up(args, via, files, up, sg, mitm)
        rows = []
        for i, s in enumerate(plan):
            if s.get("fresh"):
                sg.proc.stop()
                sg = Scopegate(args, work, up_port, up_ca, tag=f"sqlite-{i}")
                procs.append(sg.proc)
                warm_up(args, "scopegate", files, up, sg, mitm)
            row = measure(args, s, files, up, sg, mitm)
            rows.append(row)
            print(f"bench: {s['via']:9} {s['workload']:7} c={conns(s):<4} {'new' if s['new_conn'] else 'ka '} "
                  f"{row['throughput_rps']:>9.0f} req/s p50 {row['p50_us']} µs errors {row['errors']}", file=sys.stderr)
        if args.postgres:
            sg.proc.stop()
            pg = Scopegate(args, work, up_port, up_ca, store_url=args.postgres, tag="postgres")
            procs.append(pg.proc)
            warm_up(args, "scopegate", files, up, pg, mitm)
            for c in ([8] if args.smoke else [8, 64]):
                s = {"via": "scopegate", "workload": "railway", "conns": c, "new_conn": False}
                row = measure(args, s, files, up, pg, mitm)
                row["store"] = "postgres"
                rows.append(row)
                print(f"bench: scopegate/postgres c={c} {row['throughput_rps']:.0f} req/s", file=sys.stderr)
    finally:
        for p in reversed(procs):
            p.stop()
    checks = targets(rows)
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "kernel": os.uname().release},
        "duration_s": args.duration,
        "rows": rows,
        "targets": checks,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    kind = "SMOKE RUN (dev build, figures mean nothing)" if args.smoke else "scopegate benchmark"
    md = [f"# {kind}, {report['when']} ({os.cpu_count()} CPUs, {args.duration:g} s per scenario)", "",
          table(rows), "", "| target | measured | goal | met |", "|---|---|---|---|"]
    md += [f"| {c['target']} | {c['measured']} | {c['goal']} | {'yes' if c['met'] else 'NO'} |" for c in checks]
    (args.out / "report.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))
    if args.smoke:
        broken = [r for r in rows if not r["requests"] or any(not k.startswith("2") for k in (r["statuses"] or {}))]
        # every streamed download arrived whole, through every path
        broken += [r for r in rows if r["workload"] == "stream" and r["response_bytes"] != r["requests"] * STREAM_BYTES]
        # every held-open connection was intercepted and answered
        broken += [r for r in rows if r.get("idle") and r.get("idle_ok") != r["idle"]]
        if broken:
            raise SystemExit(f"bench --smoke: scenarios that did not work: {broken}")
        print("bench --smoke: every scenario worked", file=sys.stderr)


if __name__ == "__main__":
    main()
