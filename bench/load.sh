#!/usr/bin/env bash
# Load benchmark against a release build: GET /api/v1/contacts/{id} with wrk -t2 -c64, side
# by side in one run with a bare axum JSON handler (crates/obhut-server/examples/bare_json.rs)
# and with the same read served without gate, purpose binding and access log
# (crates/obhut-server/examples/ungated_read.rs), the audited ticket read (GET /api/v1/tickets/{id},
# 200 tickets about the first contacts, made through the API on first use), plus search by email latency. Usage: bench/load.sh [CONTACTS] [ACTIVITIES] [SECONDS]
# It seeds a fresh data directory under /var/tmp unless OBHUT_BENCH_DIR points to a seeded one.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}; A=${2:-0}; SECS=${3:-15}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release --quiet -p obhut -p obhut-server --bin obhut --example bare_json --example ungated_read
BIN=${CARGO_TARGET_DIR:-target}/release/obhut
BARE=${CARGO_TARGET_DIR:-target}/release/examples/bare_json
UNGATED=${CARGO_TARGET_DIR:-target}/release/examples/ungated_read
DIR=${OBHUT_BENCH_DIR:-/var/tmp/obhut-bench-$N}
if [ ! -f "$DIR/obhut.db" ]; then
  mkdir -p "$DIR"
  echo "seeding $N contacts and $A activities into $DIR"
  "$BIN" --data-dir "$DIR" demo seed --contacts "$N" --activities "$A"
fi
"$BIN" --data-dir "$DIR" user list | grep -q '^bench ' || printf 'Correct-Horse-Battery-9\n' | "$BIN" --data-dir "$DIR" user add bench --role admin --password-stdin >/dev/null
TOKEN=$("$BIN" --data-dir "$DIR" token create --user bench)
"$BIN" --data-dir "$DIR" contact list --json --limit 200 | python3 -c 'import json,sys; [print(i["id"]) for i in json.load(sys.stdin)["items"]]' >"$DIR/ids.txt"
"$BIN" --data-dir "$DIR" contact list --json --limit 200 | python3 -c 'import json,sys; [print(i["email"]) for i in json.load(sys.stdin)["items"] if i.get("email")]' >"$DIR/emails.txt"
"$BIN" --data-dir "$DIR" serve --listen 127.0.0.1:18080 >/dev/null 2>&1 & SP=$!
"$BARE" 127.0.0.1:18081 >/dev/null 2>&1 & BP=$!
"$UNGATED" "$DIR" 127.0.0.1:18082 >/dev/null 2>&1 & UP=$!
trap 'kill $SP $BP $UP 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs http://127.0.0.1:18080/healthz >/dev/null && curl -fs http://127.0.0.1:18081/contact >/dev/null \
  && curl -fs "http://127.0.0.1:18082/api/v1/contacts/$(head -n1 "$DIR/ids.txt")" >/dev/null && break; sleep 0.2; done
if [ ! -s "$DIR/tickets.txt" ]; then
  while read -r cid; do
    curl -fs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
      -d "{\"title\":\"Lieferung unvollständig\",\"description\":\"Zwei Kartons fehlen, Rückruf erbeten.\",\"contact_id\":\"$cid\"}" \
      http://127.0.0.1:18080/api/v1/tickets | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
  done <"$DIR/ids.txt" >"$DIR/tickets.txt"
fi
export TOKEN IDS="$DIR/ids.txt" EMAILS="$DIR/emails.txt" TICKETS="$DIR/tickets.txt"
echo "== bare axum JSON handler"
wrk -t2 -c64 -d"${SECS}s" --latency http://127.0.0.1:18081/contact | grep -E 'Requests/sec|99%|50%'
echo "== the same read without gate, purpose binding and access log"
wrk -t2 -c64 -d"${SECS}s" --latency -s bench/get_contact.lua http://127.0.0.1:18082 | grep -E 'Requests/sec|99%|50%|Non-2xx'
echo "== GET /api/v1/contacts/{id} (authenticated, Cedar-authorized, purpose-bound, decrypted, read logged)"
wrk -t2 -c64 -d"${SECS}s" --latency -s bench/get_contact.lua http://127.0.0.1:18080 | grep -E 'Requests/sec|99%|50%|Non-2xx'
echo "== GET /api/v1/tickets/{id} (authenticated, decided by the ticket's contact, decrypted, read logged)"
wrk -t2 -c64 -d"${SECS}s" --latency -s bench/get_ticket.lua http://127.0.0.1:18080 | grep -E 'Requests/sec|99%|50%|Non-2xx'
echo "== GET /api/v1/contacts?q=EMAIL (blind index search)"
wrk -t1 -c1 -d"${SECS}s" --latency -s bench/search_email.lua http://127.0.0.1:18080 | grep -E 'Requests/sec|99%|50%|Non-2xx'
echo "== server memory (RSS) after the run: $(awk '/VmRSS/ {print $2/1024 " MiB"}' /proc/$SP/status)"
echo "== bytes on disk: $(du -sb "$DIR" | cut -f1) for $N contacts ($(( $(du -sb "$DIR" | cut -f1) / N )) bytes per contact incl. activities and audit)"
