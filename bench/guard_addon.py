"""The guard scopegate does, written as a mitmproxy addon, so the benchmark
compares like with like (bench/run.py runs it; see docs/performance.md).

Per request to backboard.railway.com it does what scopegate does on its
fast path: finds the bearer token and keeps only its SHA-256, reads the JSON
body, parses the GraphQL document (cached by document text, as scopegate
caches analyses), expands fragments and aliases to the root fields it asks
for, looks each one up in Railway's catalogue, decides against the token's
allowed classes (no match: deny), appends the decision to a journal file,
and inserts it into SQLite in batches. Denials are answered with a 403 and
never forwarded. It is not a security tool: it only mirrors the work.

Environment: SG_BENCH_UPSTREAM (host:port every server connection goes to),
SG_BENCH_CATALOG (config/catalog/railway.toml), SG_BENCH_STATE (a directory
for the journal and the SQLite file), SG_BENCH_TOKENS (JSON
{"sha256:…": ["read", "write"]}).
"""

import functools
import hashlib
import json
import os
import sqlite3
import time
import tomllib
import uuid

from graphql import parse
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
)
from mitmproxy import http

HOSTS = {"backboard.railway.com", "backboard.railway.app"}


def _load_catalog(path):
    with open(path, "rb") as f:
        data = tomllib.load(f)
    schema = data["graphql"]["public"]
    return {
        kind: {name: entry.get("class", "unknown") for name, entry in schema.get(kind, {}).items()}
        for kind in ("query", "mutation", "subscription")
    }


def _roots(selection_set, fragments, seen):
    for sel in selection_set.selections:
        if isinstance(sel, FieldNode):
            if not sel.name.value.startswith("__"):
                yield sel.name.value
        elif isinstance(sel, InlineFragmentNode):
            yield from _roots(sel.selection_set, fragments, seen)
        elif isinstance(sel, FragmentSpreadNode):
            name = sel.name.value
            if name in seen or name not in fragments:
                raise ValueError("bad fragment")
            yield from _roots(fragments[name].selection_set, fragments, seen | {name})


@functools.lru_cache(maxsize=4096)
def analyse(document):
    """(kind, root field) for every operation in the document."""
    doc = parse(document)
    fragments = {
        d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
    }
    ops = []
    for d in doc.definitions:
        if isinstance(d, OperationDefinitionNode):
            kind = d.operation.value
            ops.extend((kind, root) for root in _roots(d.selection_set, fragments, frozenset()))
    return tuple(ops)


class Guard:
    def __init__(self):
        self.upstream = os.environ.get("SG_BENCH_UPSTREAM")
        self.catalog = _load_catalog(os.environ["SG_BENCH_CATALOG"])
        self.tokens = {k: set(v) for k, v in json.loads(os.environ["SG_BENCH_TOKENS"]).items()}
        state = os.environ["SG_BENCH_STATE"]
        os.makedirs(state, exist_ok=True)
        self.journal = open(os.path.join(state, "journal.jsonl"), "a", encoding="utf-8")
        self.db = sqlite3.connect(os.path.join(state, "decisions.db"))
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS decisions (id TEXT PRIMARY KEY, at REAL, "
            "credential TEXT, operations TEXT, verdict TEXT)"
        )
        self.pending = []
        self.flushed = time.monotonic()

    def server_connect(self, data):
        # The route override scopegate gets from [upstream.routes]; SNI and
        # certificate checks still use the real host name.
        if self.upstream:
            host, port = self.upstream.rsplit(":", 1)
            data.server.address = (host, int(port))

    def _record(self, row):
        self.journal.write(json.dumps(row) + "\n")
        self.journal.flush()
        self.pending.append(
            (row["id"], row["at"], row["credential"], json.dumps(row["operations"]), row["verdict"])
        )
        now = time.monotonic()
        if len(self.pending) >= 256 or now - self.flushed > 0.2:
            self.db.executemany("INSERT INTO decisions VALUES (?, ?, ?, ?, ?)", self.pending)
            self.db.commit()
            self.pending.clear()
            self.flushed = now

    def request(self, flow: http.HTTPFlow):
        if flow.request.pretty_host not in HOSTS:
            return
        verdict, reason, ops = "deny", "unknown", []
        credential = None
        auth = flow.request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            credential = "sha256:" + hashlib.sha256(auth[7:].strip().encode()).hexdigest()
        allowed = self.tokens.get(credential, set())
        try:
            body = json.loads(flow.request.get_content() or b"{}")
            ops = list(analyse(body["query"]))
            classes = [self.catalog.get(kind, {}).get(root, "unknown") for kind, root in ops]
            if ops and all(c in allowed for c in classes):
                verdict, reason = "allow", "rule"
            else:
                reason = "no rule allows " + ", ".join(f"{k}.{r}" for k, r in ops)
        except Exception as e:  # noqa: BLE001 - anything not understood is refused
            reason = f"not understood: {type(e).__name__}"
        decision = str(uuid.uuid4())
        self._record(
            {
                "id": decision,
                "at": time.time(),
                "credential": credential,
                "operations": [f"{k}.{r}" for k, r in ops],
                "verdict": verdict,
            }
        )
        if verdict != "allow":
            flow.response = http.Response.make(
                403,
                json.dumps({"errors": [{"message": f"refused by the guard: {reason}"}]}),
                {"content-type": "application/json", "x-guard-id": decision},
            )


addons = [Guard()]
