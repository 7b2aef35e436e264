#!/usr/bin/env bats
# imprintd protects every container (docs/daemon.md): real podman with the hook from hooks.d,
# a real imprintd with its own socket, policy store, pin directory, state directory and events
# database (the fixture of tests/lib/daemon.bash). The image's policy entry decides the mode:
# exec=enforce denies a binary dropped in /tmp, exec=monitor lets it run; both are recorded in
# the events database and the metrics; `imprint status` lists the container. What a writer on
# the host might do to weaken it (kill -9 of imprintd, its state files edited or deleted, a
# stale socket) is tried in bypass.bats.

load ../lib/common
load ../lib/daemon

setup() {
	daemon_fixture
}

teardown_file() {
	daemon_teardown_file
}

metric() {
	curl -sf --unix-socket "$F/d/metrics.sock" http://localhost/metrics |
		awk -v n="$1" -v l="$2" '$1 == n "{container=\"" l "\"}" {print $2}'
}

@test "status: exit 3 when imprintd is not running" {
	run "$IMPRINT" status --socket "$F/nowhere.sock"
	assert_status 3
}

@test "enforce: a binary dropped in /tmp is denied, recorded in events and metrics, listed in status" {
	policy enforce
	run_container
	protected "$CID"
	[ "$(jq -r --arg id "$CID" '.protection.containers[] | select(.id == $id) | .exec' status.json)" = enforce ]
	jq -e '.policies[] | select(.name == "base") | .serial >= 2' status.json >/dev/null
	# image programs still run
	run fpod exec "$CID" /bin/sh -c 'ls / >/dev/null && echo fine'
	assert_status 0
	[ "$output" = fine ]
	run fpod exec "$CID" /bin/sh -c 'cp /bin/busybox /tmp/busybox && /tmp/busybox echo RAN'
	[ "$status" -ne 0 ]
	[[ "$output" != *RAN* ]]
	events_until 'any(.[]; .code == "exec_not_allowed")'
	jq -s -e 'any(.[]; .code == "exec_not_allowed" and .detail.decision == "deny")' events.jsonl >/dev/null ||
		fail "no denial in events: $(cat events.jsonl)"
	[ "$(metric imprint_denials_total "$CID")" -ge 1 ]
	run "$IMPRINT" status --socket "$SOCK"
	assert_status 0
	[[ "$output" == *"${CID:0:12} protected"*"exec enforce"* ]]
	fpod rm -f -t 0 "$CID" >/dev/null
	# the container is gone: imprintd stops protecting it
	unprotected "$CID"
}

@test "monitor: the dropped binary runs and the would-deny is recorded" {
	policy monitor
	run_container
	protected "$CID"
	run fpod exec "$CID" /bin/sh -c 'cp /bin/busybox /tmp/busybox && /tmp/busybox echo RAN'
	assert_status 0
	[[ "$output" == *RAN* ]]
	events_until 'any(.[]; .detail.decision == "would-deny")'
	jq -s -e 'any(.[]; .code == "exec_not_allowed" and .detail.decision == "would-deny")' events.jsonl >/dev/null ||
		fail "no would-deny in events: $(cat events.jsonl)"
	[ "$(metric imprint_alerts_total "$CID")" -ge 1 ]
	[ -z "$(metric imprint_denials_total "$CID")" ]
	fpod rm -f -t 0 "$CID" >/dev/null
}

@test "off: an entry without enforcement is not protected" {
	policy off
	run_container
	sleep 1
	"$IMPRINT" status --socket "$SOCK" --json >status.json
	[ "$(jq --arg id "$CID" '[.protection.containers[] | select(.id == $id)] | length' status.json)" = 0 ]
	run fpod exec "$CID" /bin/sh -c 'cp /bin/busybox /tmp/busybox && /tmp/busybox echo RAN'
	assert_status 0
	fpod rm -f -t 0 "$CID" >/dev/null
}

@test "files=enforce: the image's directories are read-only in the container; the attempt is an event" {
	policy enforce files=enforce
	run_container
	protected "$CID"
	[ "$(jq -r --arg id "$CID" '.protection.containers[] | select(.id == $id) | .files' status.json)" = enforce ]
	run fpod exec "$CID" /bin/sh -c 'echo evil >>/etc/passwd'
	[ "$status" -ne 0 ]
	[[ "$output" == *"Read-only file system"* ]] || fail "$output"
	run fpod exec "$CID" /bin/sh -c 'grep -c evil /etc/passwd; echo ok >/tmp/t && cat /tmp/t'
	[ "$output" = "$(printf '0\nok')" ] || fail "$output"
	events_until 'any(.[]; .code == "write_to_image_file")'
	jq -s -e 'any(.[]; .code == "write_to_image_file" and .detail.decision == "deny" and
		.detail.output_fields["fd.name"] == "/etc/passwd")' events.jsonl >/dev/null ||
		fail "no denial in events: $(cat events.jsonl)"
	run "$IMPRINT" status --socket "$SOCK"
	[[ "$output" == *"${CID:0:12} protected"*"files enforce"* ]] || fail "$output"
	fpod rm -f -t 0 "$CID" >/dev/null
	unprotected "$CID"
}

# wrapper ARGS: imprint-runc with this file's store and imprintd, runc state in $F/runc
wrapper() {
	ln -sf "$IMPRINT" "$F/imprint-runc"
	IMPRINT_POLICY_DIR=$F/etc/policy.d IMPRINT_KEYS_DIR=$F/etc/keys IMPRINT_STATE_DIR=$F/state \
		IMPRINT_AUDIT_LOG=$F/audit-runc.jsonl IMPRINT_SOCKET=$SOCK \
		"$F/imprint-runc" --root "$F/runc" "$@"
}

@test "imprint-runc: a container created through the wrapper is protected; a dropped binary is denied" {
	skip_unless runc
	skip_unless umoci
	policy enforce
	bundle "$F/bundle" .
	local id=rc-$$
	wrapper create -b "$F/bundle" "$id" </dev/null >/dev/null 2>"$F/create.err" ||
		fail "create: $(cat "$F/create.err")"
	# armed before the create returned: the entrypoint never runs unprotected
	"$IMPRINT" status --socket "$SOCK" --json >status.json
	[ "$(jq -r --arg id "$id" '.protection.containers[] | select(.id == $id) | .state' status.json)" = protected ] ||
		fail "$(cat status.json) $(cat "$F/create.err")"
	[ "$(jq -r --arg id "$id" '.protection.containers[] | select(.id == $id) | .exec' status.json)" = enforce ]
	runc --root "$F/runc" start "$id"
	run runc --root "$F/runc" exec "$id" /bin/sh -c 'ls / >/dev/null && echo fine'
	assert_status 0
	[ "$output" = fine ]
	run runc --root "$F/runc" exec "$id" /bin/sh -c 'cp /bin/busybox /tmp/busybox && /tmp/busybox echo RAN'
	[ "$status" -ne 0 ]
	[[ "$output" != *RAN* ]]
	runc --root "$F/runc" delete -f "$id"
	unprotected "$id"
}

@test "imprint-runc: a rootfs changed while runc creates the container is refused; the container is deleted" {
	skip_unless runc
	skip_unless umoci
	policy enforce
	bundle "$F/bundle2" '.hooks.createRuntime = [{path: "/bin/sh",
		args: ["sh", "-c", "echo evil::0:0::/:/bin/sh >>'"$F"'/bundle2/rootfs/etc/passwd"]}]'
	local id=rc2-$$ rc=0
	# not bats' run: a container left behind would hold its output pipe open
	wrapper create -b "$F/bundle2" "$id" </dev/null >"$F/create2.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc: $(cat "$F/create2.out")"
	# one decision, made once runc created it: what is really mounted is refused
	grep -q "imprint: refused .*; the container is not started" "$F/create2.out" ||
		fail "$(cat "$F/create2.out")"
	run runc --root "$F/runc" state "$id"
	[ "$status" -ne 0 ]
}

@test "imprint-runc front: create goes through imprintd without starting imprint; protected, or refused and deleted" {
	skip_unless runc
	skip_unless umoci
	policy enforce
	bundle "$F/fb" .
	local id=fr-$$ rc=0
	rm -f "$F/front/full.log"
	front "$SOCK" create -b "$F/fb" "$id" </dev/null >/dev/null 2>"$F/fr.err" ||
		fail "create: $(cat "$F/fr.err")"
	# the control: imprintd decided and armed it, and no full imprint ran for it
	[ ! -e "$F/front/full.log" ] || fail "imprint ran: $(cat "$F/front/full.log")"
	[ "$(jq -r --arg id "$id" 'select(.container == $id) | "\(.verdict) \(.event)"' "$F/audit-front.jsonl")" = "allowed runtime" ]
	"$IMPRINT" status --socket "$SOCK" --json >status.json
	[ "$(jq -r --arg id "$id" '.protection.containers[] | select(.id == $id) | .state' status.json)" = protected ] ||
		fail "$(cat status.json)"
	runc --root "$F/runc" delete -f "$id"
	# an image file changed before create: created, refused by imprintd, deleted
	echo 'evil::0:0::/:/bin/sh' >>"$F/fb/rootfs/etc/passwd"
	front "$SOCK" --log "$F/fr.log" --log-format json create -b "$F/fb" "$id-bad" </dev/null \
		>"$F/fr-bad.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc: $(cat "$F/fr-bad.out")"
	grep -q "imprint: refused .*; the container is not started" "$F/fr-bad.out" || fail "$(cat "$F/fr-bad.out")"
	[[ "$(jq -r .msg "$F/fr.log")" == "imprint: refused"* ]] || fail "$(cat "$F/fr.log")"
	run runc --root "$F/runc" state "$id-bad"
	[ "$status" -ne 0 ]
	[ ! -e "$F/front/full.log" ] || fail "imprint ran: $(cat "$F/front/full.log")"
}

@test "drift: imprintd runs the sensor; a program outside the fingerprint is an alert in the events database" {
	local script='ls / >/dev/null; [ -z "$DRIFT" ] || /bin/busybox true; true' pid
	mkdir -p "$F/fps" "$F/dr"
	"$IMPRINT" learn --image "$BUSYBOX" --storage-root "$ST" --out "$F/fps/busybox.json" -- \
		podman --root "$ST" --runroot "$RR" --storage-driver overlay run --rm --network none \
		--ulimit nofile=1024:1024 --ulimit nproc=4096:4096 --entrypoint /bin/sh "$BUSYBOX" \
		-c "$script" >/dev/null 2>"$F/dr/learn.log" ||
		fail "learn: $(cat "$F/dr/learn.log")"
	# shellcheck disable=SC2086
	"$IMPRINT" daemon --config '' --socket "$F/dr/imprintd.sock" --events-db "$F/dr/events.db" \
		--metrics-socket '' --no-protect --drift --behavior-dir "$F/fps" --storage-root "$ST" \
		$STORE 2>"$F/dr/log" &
	pid=$!
	for _ in $(seq 100); do grep -q "sensor active" "$F/dr/log" && break; sleep 0.1; done
	grep -q "watch: 1 fingerprints; sensor active" "$F/dr/log" || fail "$(cat "$F/dr/log")"
	fpod run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 -e DRIFT=1 \
		--entrypoint /bin/sh "$BUSYBOX" -c "$script"
	for _ in $(seq 100); do
		"$IMPRINT" events --db "$F/dr/events.db" --json >"$F/dr/events.jsonl"
		grep -q "Program not in behavioral fingerprint" "$F/dr/events.jsonl" && break
		sleep 0.1
	done
	kill "$pid"
	wait "$pid" || true
	jq -s -e 'any(.[]; .code == "Program not in behavioral fingerprint" and
		.detail.output_fields["proc.cmdline"] == "/bin/busybox true")' "$F/dr/events.jsonl" >/dev/null ||
		fail "events: $(cat "$F/dr/events.jsonl") log: $(cat "$F/dr/log")"
	# the learned programs are no drift
	[ "$(jq -s '[.[] | select(.code == "Program not in behavioral fingerprint")] | length' "$F/dr/events.jsonl")" = 1 ]
}

@test "config: imprint.conf's keys, the command line overrides; a bad line is refused" {
	mkdir -p "$F/c"
	# the hook's and imprint-runc's keys (paranoid, runtime) are no error for imprintd
	printf '# test\nsocket = %s\nprotect = no\nevents-db =\nmetrics-socket =\nparanoid = no\nruntime = /x\n' \
		"$F/c/wrong.sock" >"$F/c/imprint.conf"
	# shellcheck disable=SC2086
	"$IMPRINT" daemon --config "$F/c/imprint.conf" --socket "$F/c/imprintd.sock" $STORE \
		2>"$F/c/log" &
	local pid=$!
	for _ in $(seq 50); do [ -S "$F/c/imprintd.sock" ] && break; sleep 0.1; done
	run "$IMPRINT" status --socket "$F/c/imprintd.sock" --json
	kill "$pid"
	wait "$pid" || true
	assert_status 0
	[ "$(jq -c .protection <<<"$output")" = null ]
	[ ! -e "$F/c/wrong.sock" ]
	printf 'socket\n' >"$F/c/bad.conf"
	run "$IMPRINT" daemon --config "$F/c/bad.conf"
	assert_status 2
	[[ "$output" == *"bad.conf:1: want key = value"* ]] || fail "$output"
}
