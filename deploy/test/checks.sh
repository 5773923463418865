# The checks scripts/container-test runs against the compose project, from
# the agent's container and from the host. Sourced: uses its agent,
# received, say, fail, real_token, surrogate, api_token, HOST_PORT and
# DASHBOARD_PORT.

READ='{"query":"query { me { id } }"}'
DELETE='{"query":"mutation { volumeDelete(volumeId: \"vol-container-test\") }"}'
DASHBOARD=http://127.0.0.1:$DASHBOARD_PORT
PROXY=http://172.30.80.10:8080

# A GraphQL call from the agent, as the agent makes it: through
# HTTPS_PROXY, trusting only the CA certificate it was given.
agent_gql() {
  agent curl -sS --max-time 20 -D - -H "authorization: Bearer $surrogate" \
    -H 'content-type: application/json' -d "$1" https://backboard.railway.com/graphql/v2
}
# The agent must NOT get an HTTP answer for this (exit 0 with a status).
agent_cannot() {
  local what=$1; shift
  if agent curl -s -o /dev/null --max-time 5 -w '%{http_code}' "$@" | grep -qv '^000$'; then
    fail "the agent reached $what"
  fi
  say "  ok: the agent cannot reach $what"
}
api() { curl -fsS --max-time 10 -H "authorization: Bearer $api_token" "$@"; }

check_read_passes() {
  say "1. a read passes, with the real token upstream"
  local answer
  answer=$(agent_gql "$READ")
  grep -q '"user-1"' <<<"$answer" || fail "the read did not pass: $answer"
  received | grep '"me' | grep -qF "\"authorization\": \"Bearer $real_token\"" ||
    fail "the fake did not receive the read with the real token"
  ! received | grep -qF "$surrogate" || fail "the surrogate reached the provider"
}

check_delete_held() {
  say "2. volumeDelete is held"
  local answer
  answer=$(agent_gql "$DELETE")
  grep -qi '^x-scopegate-decision: approve' <<<"$answer" || fail "volumeDelete was not held: $answer"
  ! received | grep -q volumeDelete || fail "the held volumeDelete reached the provider"
}

check_dashboard() {
  say "3. the dashboard answers on the host and shows the held request"
  curl -fsS --max-time 5 "$DASHBOARD/healthz" >/dev/null || fail "no dashboard on $DASHBOARD"
  read -r approval confirm < <(api "$DASHBOARD/api/approvals" | python3 -c '
import json, sys
for a in json.load(sys.stdin).get("approvals", []):
    if "volumeDelete" in json.dumps(a):
        print(a["id"], a.get("confirm") or ""); break') || true
  [ -n "${approval:-}" ] || fail "the held volumeDelete is not in the approvals API"
  [ -n "${confirm:-}" ] || fail "the held volumeDelete asks for no typed confirmation"
}

check_no_way_around() {
  say "4. the agent reaches nothing but scopegate's proxy port"
  agent_cannot "the fake provider directly" --noproxy '*' -k https://172.30.91.20:8443/graphql/v2
  agent_cannot "the dashboard on the approvers' network" --noproxy '*' http://172.30.91.10:9091/healthz
  agent_cannot "the dashboard on its own network" --noproxy '*' http://172.30.80.10:9091/healthz
  agent_cannot "the metrics" --noproxy '*' http://172.30.80.10:9090/metrics
  agent_cannot "the host's published dashboard" --noproxy '*' "http://172.30.80.1:$DASHBOARD_PORT/healthz"
  check_host_service_closed
  agent_cannot "an address outside" --noproxy '*' -k https://192.0.2.1/
  local code
  code=$(agent curl -s -o /dev/null --max-time 5 -w '%{http_code}' -x "$PROXY" http://172.30.91.10:9091/healthz || true)
  [ "$code" = 403 ] || fail "the proxy did not refuse the dashboard as a destination (HTTP $code)"
  say "  ok: the proxy refuses the dashboard as a destination (403)"
  ! agent curl -s -o /dev/null --max-time 5 -x "$PROXY" -k https://172.30.91.20:8443/ ||
    fail "the proxy tunnelled to the fake's address"
  say "  ok: the proxy refuses a tunnel to the provider's address"
}

# A host service on all interfaces is one hop away over the internal
# network's bridge address, until deploy/agent-firewall closes it.
check_host_service_closed() {
  python3 -m http.server --bind 0.0.0.0 "$HOST_PORT" >/dev/null 2>&1 &
  local host_server=$!
  sleep 1
  local url="http://172.30.80.1:$HOST_PORT/"
  if agent curl -s -o /dev/null --max-time 5 --noproxy '*' "$url"; then
    say "  (without deploy/agent-firewall the agent reaches a host service on all interfaces)"
  fi
  deploy/agent-firewall add
  agent_cannot "a host service on all interfaces, with deploy/agent-firewall" --noproxy '*' "$url"
  kill "$host_server" 2>/dev/null || true
}

check_cannot_approve() {
  say "5. the agent sees only the CA certificate, and cannot approve"
  [ "$(agent ls -A /scopegate-ca)" = ca.pem ] || fail "the agent's CA volume holds more than ca.pem"
  ! agent grep -q 'PRIVATE KEY' /scopegate-ca/ca.pem || fail "ca.pem holds a key"
  ! agent test -e /var/lib/scopegate || fail "the agent sees scopegate's data folder"
  [ "$(agent id -u)" != 10100 ] || fail "the agent runs as scopegate's uid"
  agent_cannot "the approve endpoint directly" --noproxy '*' -X POST \
    "http://172.30.91.10:9091/api/approvals/$approval/approve"
  local code
  code=$(agent curl -s -o /dev/null --max-time 5 -w '%{http_code}' -x "$PROXY" -X POST \
    -H "authorization: Bearer sgapi_forged" "http://172.30.91.10:9091/api/approvals/$approval/approve" || true)
  [ "$code" = 403 ] || fail "approving through the proxy answered HTTP $code"
  api "$DASHBOARD/api/approvals/$approval" | grep -q '"pending"' ||
    fail "the approval is no longer pending after the agent's attempts"
  say "  ok: the approval is still pending"
}

check_approved_release() {
  say "6. an approver approves on the host; the same request is released"
  ! api -X POST -H 'content-type: application/json' -d '{"note":"container-test"}' \
    "$DASHBOARD/api/approvals/$approval/approve" >/dev/null 2>&1 ||
    fail "approved without typing what it destroys"
  api -X POST -H 'content-type: application/json' \
    -d "{\"note\":\"container-test\",\"confirm\":\"$confirm\"}" \
    "$DASHBOARD/api/approvals/$approval/approve" >/dev/null || fail "approving on the host"
  local answer
  answer=$(agent_gql "$DELETE")
  grep -q '"data"' <<<"$answer" && ! grep -qi '^x-scopegate-decision' <<<"$answer" ||
    fail "the approved volumeDelete was not released: $answer"
  received | grep volumeDelete | grep -qF "\"authorization\": \"Bearer $real_token\"" ||
    fail "the fake did not receive the approved volumeDelete with the real token"
}

run_checks() {
  check_read_passes
  check_delete_held
  check_dashboard
  check_no_way_around
  check_cannot_approve
  check_approved_release
}
