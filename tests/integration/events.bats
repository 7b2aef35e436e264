#!/usr/bin/env bats
# imprintd's events database and metrics (docs/events.md): a real imprintd verifies real
# bundles for the hook; `imprint events` must show those decisions, the sqlite3 shell must see
# the same rows, and the metrics endpoint (read with curl over the unix socket, parsed by the
# Prometheus client library's own text parser) must count them exactly.

load ../lib/common

setup_file() {
	images busybox special
	skip_unless umoci
	skip_unless curl
	skip_unless sqlite3
	need "python3-prometheus-client is not installed" \
		/usr/bin/python3 -c 'import prometheus_client.parser'
	F=$BATS_FILE_TMPDIR
	cd "$F"
	mkdir -p keys policy.d state fps
	"$IMPRINT" keygen --out signer >/dev/null
	cp signer.pub keys/
	"$IMPRINT" policy init base.json --name base >/dev/null
	"$IMPRINT" policy add base.json "oci:$IMAGES/busybox:latest" >/dev/null
	"$IMPRINT" fingerprint "oci:$IMAGES/busybox:latest" \
		-o "fps/$(jq -r '.images[0].rootDigest' base.json | cut -d: -f2).json" >/dev/null
	"$IMPRINT" policy sign base.json --key signer.key -o policy.d/base.dsse >/dev/null
	umoci unpack --image "$IMAGES/busybox:latest" "$F/busybox" >/dev/null
	umoci unpack --image "$IMAGES/special:latest" "$F/special" >/dev/null
	start_daemon main --events-db "$F/events.db"
}

setup() {
	F=$BATS_FILE_TMPDIR
	cd "$F"
}

teardown_file() {
	local pid
	F=$BATS_FILE_TMPDIR
	for pid in "$BATS_FILE_TMPDIR"/*.pid; do
		[ -e "$pid" ] || continue
		stop_daemon "$(basename "$pid" .pid)"
	done
	# under ASan/UBSan the daemon reports there (leaks at exit included)
	! grep -E "runtime error|ERROR: (Address|Leak)Sanitizer" "$BATS_FILE_TMPDIR"/*.log ||
		fail "imprintd: sanitizer report"
}

store() {
	echo --policy-dir "$F/policy.d" --keys-dir "$F/keys" --state-dir "$F/state" \
		--fingerprint-dir "$F/fps"
}

# start_daemon NAME ARGS...: imprintd on $F/NAME/imprintd.sock, logging to $F/NAME.log
start_daemon() {
	local name=$1
	shift
	# shellcheck disable=SC2046
	"$IMPRINT" daemon --socket "$F/$name/imprintd.sock" $(store) "$@" 2>"$F/$name.log" &
	echo $! >"$F/$name.pid"
	for _ in $(seq 100); do [ -S "$F/$name/imprintd.sock" ] && break; sleep 0.1; done
	[ -S "$F/$name/imprintd.sock" ] || fail "imprintd did not start: $(cat "$F/$name.log")"
}

stop_daemon() {
	local pid
	pid=$(cat "$F/$1.pid")
	kill "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	rm -f "$F/$1.pid"
}

# decide DAEMON ID BUNDLE: the hook asks imprintd about container ID made from BUNDLE
decide() {
	# shellcheck disable=SC2046
	run "$IMPRINT" hook --socket "$F/$1/imprintd.sock" --audit-log '' $(store) \
		<<<"{\"id\":\"$2\",\"bundle\":\"$F/$3\"}"
}

# wait_rows DB N: the writer thread commits shortly after the answer; wait for N rows
wait_rows() {
	for _ in $(seq 100); do
		[ "$(sqlite3 "$1" 'SELECT count(*) FROM events')" -ge "$2" ] && return 0
		sleep 0.05
	done
	fail "$1: fewer than $2 rows: $(sqlite3 "$1" 'SELECT count(*) FROM events')"
}

# metric NAME [LABELS-JSON]: the value of one sample, from the Prometheus client's parser
metric() {
	local labels=${2:-'{}'}
	curl -sf --unix-socket "$F/main/metrics.sock" http://localhost/metrics >"$F/metrics.txt"
	/usr/bin/python3 - "$1" "$labels" "$F/metrics.txt" <<'EOF'
import json, sys
from prometheus_client.parser import text_string_to_metric_families
name, labels, path = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
found = [s.value for f in text_string_to_metric_families(open(path).read())
         for s in f.samples if s.name == name and s.labels == labels]
print(int(found[0]) if len(found) == 1 else "absent")
EOF
}

A=aaaa000000000000000000000000000000000000000000000000000000000001
B=bbbb000000000000000000000000000000000000000000000000000000000002
C=cccc000000000000000000000000000000000000000000000000000000000003

@test "events: imprintd records its decisions; imprint events shows them" {
	decide main "$A" busybox
	assert_status 0
	decide main "$C" special
	assert_status 1
	decide main "$B" busybox
	assert_status 0
	wait_rows "$F/events.db" 3

	run "$IMPRINT" events --db "$F/events.db" --json
	assert_status 0
	[ "${#lines[@]}" -eq 3 ] || fail "$output"
	root=$(jq -r '.images[0].rootDigest' "$F/base.json")
	jq -e --arg a "$A" --arg root "$root" 'select(.container == $a) |
		.kind == "decision" and .verdict == "allowed" and .code == "allowed" and
		.detail.verdict == "allowed" and .detail.digests.root == $root and
		.detail.event == "imprintd" and .detail.container == $a and .detail.policy == "base" and
		(.time | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{6}Z$"))' <<<"${lines[0]}" >/dev/null ||
		fail "first line: ${lines[0]}"
	jq -e --arg c "$C" 'select(.container == $c) | .verdict == "refused" and
		.code == "unknown-image" and .detail.allowed == false and
		(.detail.reasons[0].message | startswith("no policy allows root digest"))' \
		<<<"${lines[1]}" >/dev/null || fail "second line: ${lines[1]}"
	[ "$(jq -r .container <<<"${lines[2]}")" = "$B" ]
	# ids and times ascend
	[ "$(printf '%s\n' "${lines[@]}" | jq -s '[.[].id] == ([.[].id] | sort) and
		[.[].time] == ([.[].time] | sort)')" = true ]

	# the table: a header and a row each
	run "$IMPRINT" events --db "$F/events.db"
	assert_status 0
	[ "${#lines[@]}" -eq 4 ] || fail "$output"
	[[ "${lines[0]}" == "TIME"*"KIND"*"CONTAINER"*"VERDICT"*"CODE"*"IMAGE" ]]
	[[ "${lines[2]}" == *" decision  cccc00000000  refused       unknown-image "*"/special/rootfs" ]] ||
		fail "${lines[2]}"

	# what any SQLite client sees
	[ "$(sqlite3 "$F/events.db" 'PRAGMA journal_mode')" = wal ]
	[ "$(stat -c %a "$F/events.db" "$F/events.db-wal" | sort -u)" = 600 ]
	[ "$(sqlite3 "$F/events.db" 'SELECT version FROM schema_version')" = 1 ]
	[ "$(sqlite3 "$F/events.db" "SELECT group_concat(verdict, ' ') FROM (SELECT verdict FROM events ORDER BY id)")" = \
		"allowed refused allowed" ]
	[ "$(sqlite3 "$F/events.db" "SELECT json_extract(detail, '\$.verdict') FROM events WHERE container = '$C'")" = refused ]
}

@test "events: filters --container, --kind, --since, --until, --limit" {
	q() { "$IMPRINT" events --db "$F/events.db" --json "$@" | jq -r .container | cut -c1-4 | tr '\n' ' '; }
	[ "$(q)" = "aaaa cccc bbbb " ]
	[ "$(q --container "$C")" = "cccc " ]
	[ "$(q --container bbbb)" = "bbbb " ]
	[ "$(q --container bbbb0001)" = "" ]
	[ "$(q --kind decision --since 10m)" = "aaaa cccc bbbb " ]
	[ "$(q --limit 2)" = "cccc bbbb " ]
	[ "$(q --until 2020-01-01)" = "" ]
	[ "$(q --since 2020-01-01T00:00:00Z --until 1d)" = "" ]
	[ "$(q --since 2020-01-01)" = "aaaa cccc bbbb " ]
	# nothing matches: still success, and no output at all in JSON
	run "$IMPRINT" events --db "$F/events.db" --kind alert --json
	assert_status 0
	[ -z "$output" ]
	run "$IMPRINT" events --db "$F/events.db" --kind lost
	assert_status 0
	[[ "$output" == TIME*IMAGE ]] && [ "${#lines[@]}" -eq 1 ] || fail "$output"
}

@test "events: an alert row's detail comes back as the Falco-shaped object" {
	# imprintd does not raise alerts yet: put one in a copy the way its writer would
	sqlite3 "$F/events.db" ".backup '$F/alerts.db'"
	alert='{"time":"2026-11-23T19:00:05.123456789Z","rule":"Program not in behavioral fingerprint","priority":"Warning","source":"imprint","output":"Program not in behavioral fingerprint (container=dddd00000000 image=localhost/web:1 sh -c id)","output_fields":{"container.id":"dddd00000000","container.image":"localhost/web:1","container.image.id":null,"proc.cmdline":"sh -c id","proc.name":"sh","proc.pid":42,"user.uid":0,"group.gid":0},"tags":["imprint","drift"]}'
	sqlite3 "$F/alerts.db" "INSERT INTO events (time, kind, container, image, code, verdict, detail)
		VALUES (1795460405123456, 'alert', 'dddd00000000', 'localhost/web:1',
		'Program not in behavioral fingerprint', 'Warning', '$alert')"
	run "$IMPRINT" events --db "$F/alerts.db" --kind alert --json
	assert_status 0
	[ "${#lines[@]}" -eq 1 ] || fail "$output"
	[ "$(jq -c .detail <<<"$output")" = "$(jq -c . <<<"$alert")" ]
	[ "$(jq -r '.time, .verdict, .code' <<<"$output" | tr '\n' '|')" = \
		"2026-11-23T19:00:05.123456Z|Warning|Program not in behavioral fingerprint|" ]
	run "$IMPRINT" events --db "$F/alerts.db" --container dddd
	[[ "${lines[1]}" == "2026-11-23T19:00:05   alert     dddd00000000  Warning       Program not in behavioral fingerprint  localhost/web:1" ]] ||
		fail "$output"
}

@test "metrics: the unix socket answers curl with the decisions counted" {
	[ "$(metric imprint_decisions_total '{"verdict":"allowed"}')" = 2 ]
	[ "$(metric imprint_decisions_total '{"verdict":"refused"}')" = 1 ]
	[ "$(metric imprint_decisions_total '{"verdict":"would-refuse"}')" = 0 ]
	[ "$(metric imprint_denials_total "{\"container\":\"$C\"}")" = 1 ]
	[ "$(metric imprint_denials_total "{\"container\":\"$A\"}")" = absent ]
	[ "$(metric imprint_events_total "{\"container\":\"$A\"}")" = 1 ]
	[ "$(metric imprint_events_total "{\"container\":\"$B\"}")" = 1 ]
	[ "$(metric imprint_decision_latency_seconds_count)" = 3 ]
	[ "$(metric imprint_decision_latency_seconds_bucket '{"le":"+Inf"}')" = 3 ]
	[ "$(metric imprint_events_db_written_total)" = 3 ]
	[ "$(metric imprint_events_db_dropped_total)" = 0 ]
	[ "$(metric imprint_lost_events_total "{\"container\":\"$A\"}")" = absent ]
	grep -q '^# TYPE imprint_decision_latency_seconds histogram$' "$F/metrics.txt"
	# the cache figures are the daemon's own
	status=$("$IMPRINT" daemon --status --socket "$F/main/imprintd.sock")
	[ "$(metric imprint_verify_cache_hits_total)" = "$(jq .hits <<<"$status")" ]
	[ "$(metric imprint_verify_cache_misses_total)" = "$(jq .misses <<<"$status")" ]
	[ "$(metric imprint_verify_cache_layers)" = "$(jq .layers <<<"$status")" ]
	# busybox was verified twice: the second time from the cache
	[ "$(jq .hits <<<"$status")" -ge 1 ]
	hits=$(jq .hits <<<"$status")
	decide main "${A%1}4" busybox
	assert_status 0
	[ "$(metric imprint_verify_cache_hits_total)" -gt "$hits" ]
	[ "$(metric imprint_decisions_total '{"verdict":"allowed"}')" = 3 ]
	# the protocol, as curl speaks it
	run curl -s -o /dev/null -w '%{http_code} %{content_type}' --unix-socket "$F/main/metrics.sock" \
		http://localhost/metrics
	[ "$output" = "200 text/plain; version=0.0.4; charset=utf-8" ]
	run curl -s -o /dev/null -w '%{http_code}' --unix-socket "$F/main/metrics.sock" http://localhost/
	[ "$output" = 404 ]
	[ "$(stat -c %a "$F/main/metrics.sock")" = 600 ]
}

@test "events: retention through the daemon; metrics on a loopback port; no database" {
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	start_daemon small --events-db "$F/small.db" --events-max-rows 2 --metrics-socket '' \
		--metrics-port "$port"
	[ ! -e "$F/small/metrics.sock" ]
	for id in "$A" "$C" "$B"; do
		decide small "$id" busybox
	done
	wait_rows "$F/small.db" 2
	for _ in $(seq 50); do
		[ "$(curl -sf "http://127.0.0.1:$port/metrics" | grep -c '^imprint_events_db_written_total 3$')" = 1 ] && break
		sleep 0.1
	done
	run "$IMPRINT" events --db "$F/small.db" --json
	[ "$(jq -r .container <<<"$output" | cut -c1-4 | tr '\n' ' ')" = "cccc bbbb " ] || fail "$output"
	curl -sf "http://127.0.0.1:$port/metrics" >"$F/port.txt"
	grep -qx 'imprint_decisions_total{verdict="allowed"} 3' "$F/port.txt"
	grep -qx 'imprint_events_db_written_total 3' "$F/port.txt"
	# loopback only
	[[ "$(ss -Hltn "sport = :$port")" == *" 127.0.0.1:$port "* ]] || fail "$(ss -Hltn "sport = :$port")"
	stop_daemon small

	start_daemon none --events-db '' --metrics-socket "$F/none.sock"
	decide none "$A" busybox
	assert_status 0
	curl -sf --unix-socket "$F/none.sock" http://localhost/metrics >"$F/none.txt"
	grep -qx 'imprint_decisions_total{verdict="allowed"} 1' "$F/none.txt"
	grep -qx 'imprint_events_db_written_total 0' "$F/none.txt"
	grep -q '^imprintd: events database: off; metrics: ' "$F/none.log" || fail "$(cat "$F/none.log")"
	stop_daemon none
	[ ! -e "$F/none.sock" ] # removed at exit
}

@test "events: missing, corrupt or foreign database: exit 2 and one clear line" {
	run --separate-stderr "$IMPRINT" events --db "$F/nonexistent.db"
	assert_status 2
	[ -z "$output" ]
	[ "$stderr" = "imprint: events: $F/nonexistent.db: No such file or directory" ] || fail "$stderr"

	head -c 65536 /dev/urandom >"$F/garbage.db"
	run "$IMPRINT" events --db "$F/garbage.db"
	assert_error events
	assert_contains "not a database"

	sqlite3 "$F/foreign.db" 'CREATE TABLE t (x); INSERT INTO t VALUES (1);'
	run "$IMPRINT" events --db "$F/foreign.db"
	assert_error events
	assert_contains "not an imprint events database"
	[ "$(sqlite3 "$F/foreign.db" 'SELECT count(*) FROM sqlite_master')" = 1 ] # untouched

	# a daemon refuses to start on it, rather than run without its record
	run "$IMPRINT" daemon --socket "$F/bad/imprintd.sock" --events-db "$F/foreign.db" $(store)
	assert_status 2
	assert_contains "not an imprint events database"
	[ ! -e "$F/bad/imprintd.sock" ]

	run --separate-stderr "$IMPRINT" events --db "$F/garbage.db" --json
	assert_status 2
	jq -e '.error | contains("not a database")' <<<"$output" >/dev/null
}

@test "events: usage errors and --help" {
	run "$IMPRINT" events --help
	assert_status 0
	assert_contains "--since WHEN"
	assert_contains "Exit codes: 0"
	for bad in "--kind bogus" "--limit 0" "--limit x" "--since yesterday" "--until 5q" \
		"--container abc" "extra"; do
		# shellcheck disable=SC2086
		run "$IMPRINT" events --db "$F/events.db" $bad
		[ "$status" -eq 2 ] || fail "'$bad': exit $status"
		[[ "${lines[0]}" == "imprint: events: "* ]] || fail "'$bad': $output"
	done
	run "$IMPRINT" daemon --help
	assert_contains "--events-db PATH"
	assert_contains "--metrics-port PORT"
	run "$IMPRINT" daemon --metrics-port 70000
	assert_status 2
	run "$IMPRINT" --help
	assert_contains "events"
}
