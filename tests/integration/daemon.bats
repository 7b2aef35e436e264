#!/usr/bin/env bats
# imprintd protects every container (docs/daemon.md): real podman with the hook from hooks.d,
# a real imprintd with its own socket, policy store, pin directory, state directory and events
# database. The image's policy entry decides the mode: exec=enforce denies a binary dropped in
# /tmp, exec=monitor lets it run; both are recorded in the events database and the metrics;
# `imprint status` lists the container; kill -9 of imprintd leaves the pinned kernel-side
# layer killing dropped binaries, and a restart adopts the container.

load ../lib/common

setup_file() {
	images busybox
	skip_unless curl
	need "no BTF at /sys/kernel/btf/vmlinux" test -e /sys/kernel/btf/vmlinux
	F=$BATS_FILE_TMPDIR
	export ST=$F/storage RR=$F/run SOCK=$F/d/imprintd.sock PIN=/sys/fs/bpf/imprint-dm-$$
	fpod pull -q "oci:$IMAGES/busybox:latest" >/dev/null
	export BUSYBOX
	BUSYBOX=$(fpod images -q --no-trunc --filter "reference=*busybox*" | sed 's/^sha256://')
	mkdir -p "$F/etc/keys" "$F/etc/policy.d" "$F/hooks"
	cd "$F"
	"$IMPRINT" keygen --out signer >/dev/null
	cp signer.pub etc/keys/
	"$IMPRINT" policy init base.json --name base >/dev/null
	export STORE="--policy-dir $F/etc/policy.d --keys-dir $F/etc/keys --state-dir $F/state"
	# shellcheck disable=SC2086
	printf '%s\n' --socket "$SOCK" $STORE | jq -R . | jq -s --arg bin "$IMPRINT" \
		--arg log "$F/audit.jsonl" \
		'{version: "1.0.0", hook: {path: $bin, args: (["imprint", "hook"] + . + ["--audit-log", $log])},
		  when: {always: true}, stages: ["createRuntime"]}' >hooks/imprint.json
}

teardown_file() {
	stop_daemon
	fpod rm -af -t 0 >/dev/null 2>&1 || true
	fpod rmi -af >/dev/null 2>&1 || true
	unmount_below "$BATS_FILE_TMPDIR"
	rm -rf "$PIN"
}

fpod() {
	podman --root "$ST" --runroot "$RR" --storage-driver overlay "$@"
}

# policy MODE [MORE]: busybox pinned with --enforcement exec=MODE[,MORE], signed (a higher
# serial each time)
policy() {
	"$IMPRINT" policy add "$F/base.json" "oci:$IMAGES/busybox:latest" \
		--enforcement "exec=$1${2:+,$2}" \
		>/dev/null
	"$IMPRINT" policy sign "$F/base.json" --key "$F/signer.key" \
		-o "$F/etc/policy.d/base.dsse" >/dev/null
}

start_daemon() {
	# shellcheck disable=SC2086
	"$IMPRINT" daemon --config '' --socket "$SOCK" --events-db "$F/events.db" \
		--pin-dir "$PIN" --protect-state-dir "$F/protected" $STORE 2>>"$F/imprintd.log" &
	echo $! >"$F/imprintd.pid"
	for _ in $(seq 100); do
		"$IMPRINT" status --socket "$SOCK" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "imprintd did not start: $(cat "$F/imprintd.log")"
}

stop_daemon() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/imprintd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	rm -f "$BATS_FILE_TMPDIR/imprintd.pid"
}

setup() {
	F=$BATS_FILE_TMPDIR
	cd "$F"
	[ -f imprintd.pid ] || start_daemon
}

run_container() {
	CID=$(fpod --hooks-dir "$F/hooks" run -d --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 --entrypoint /bin/sh "$BUSYBOX" -c 'sleep 1000')
	F=$BATS_FILE_TMPDIR
}

# protected ID: wait until imprint status says the container is protected
protected() {
	for _ in $(seq 150); do
		"$IMPRINT" status --socket "$SOCK" --json >"$F/status.json"
		[ "$(jq -r --arg id "$1" '.protection.containers[] | select(.id == $id) | .state' \
			"$F/status.json")" = protected ] && return 0
		sleep 0.1
	done
	fail "container $1 not protected: $(cat "$F/status.json") $(cat "$F/imprintd.log")"
}

# unprotected ID: wait until imprint status no longer lists the container
unprotected() {
	for _ in $(seq 100); do
		"$IMPRINT" status --socket "$SOCK" --json >"$F/status.json"
		[ "$(jq --arg id "$1" '[.protection.containers[] | select(.id == $id)] | length' "$F/status.json")" = 0 ] && return 0
		sleep 0.1
	done
	fail "container $1 still listed: $(cat "$F/status.json")"
}

# events_until FILTER: the container's events into events.jsonl, read again until the jq
# filter (over all of them) is true, for at most 5 s; the caller asserts what it needs.
events_until() {
	for _ in $(seq 50); do
		"$IMPRINT" events --db "$F/events.db" --json --container "$CID" >events.jsonl
		jq -s -e "$1" events.jsonl >/dev/null && return 0
		sleep 0.1
	done
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
	F=$BATS_FILE_TMPDIR
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
	F=$BATS_FILE_TMPDIR
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
	F=$BATS_FILE_TMPDIR
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
	F=$BATS_FILE_TMPDIR
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

@test "kill -9: the pinned layer still kills a dropped binary; a restart adopts the container" {
	F=$BATS_FILE_TMPDIR
	policy enforce
	run_container
	protected "$CID"
	kill -9 "$(cat imprintd.pid)"
	rm -f imprintd.pid
	sleep 0.2
	# fanotify died with the daemon; the kernel-side exec check kills (137)
	run fpod exec "$CID" /bin/sh -c 'mkdir /tmp/k && cp /bin/busybox /tmp/k/busybox && /tmp/k/busybox echo RAN; echo "rc=$?"'
	[[ "$output" != *RAN* ]]
	[[ "$output" == *rc=137* ]]
	start_daemon
	protected "$CID"
	jq -e --arg id "$CID" '.protection.containers[] | select(.id == $id) | .adopted' status.json >/dev/null
	grep -q "adopting 1 protected containers" imprintd.log
	# adopted: fanotify is back (EPERM before the exec: exit 126)
	run fpod exec "$CID" /bin/sh -c '/tmp/k/busybox echo RAN; echo "rc=$?"'
	[[ "$output" != *RAN* ]]
	events_until '[.[] | select(.code == "exec_not_allowed")] | length >= 2'
	# the kill made while nobody listened is read from the pinned ring buffer after the restart
	jq -s -e 'any(.[]; .code == "exec_not_allowed" and .detail.output_fields["evt.layer"] == "bpf-exec")' \
		events.jsonl >/dev/null || fail "$(cat events.jsonl)"
	fpod rm -f -t 0 "$CID" >/dev/null
	for _ in $(seq 100); do [ -e "$PIN/guard_protected" ] || break; sleep 0.1; done
	[ ! -e "$PIN/guard_protected" ]
}

@test "state files never weaken: exec off written in one, or the file deleted, and imprintd restarted: still protected, and reported" {
	F=$BATS_FILE_TMPDIR
	local state
	policy enforce
	run_container
	protected "$CID"
	state=$(ls "$F"/protected/*.json)
	[ "$(wc -l <<<"$state")" -eq 1 ] || fail "state files: $state"
	# a host writer turns the container's protection off in its state file
	stop_daemon
	jq -c '.exec = "off" | .network = "off"' "$state" >"$F/st.json" && mv "$F/st.json" "$state"
	start_daemon
	protected "$CID"
	[ "$(jq -r --arg id "$CID" '.protection.containers[] | select(.id == $id) | .exec' status.json)" = enforce ] ||
		fail "$(cat status.json)"
	grep -q "weaker than the pinned exec enforce" imprintd.log || fail "$(cat imprintd.log)"
	run fpod exec "$CID" /bin/sh -c 'mkdir -p /tmp/s && cp /bin/busybox /tmp/s/busybox && /tmp/s/busybox echo RAN; echo "rc=$?"'
	[[ "$output" != *RAN* ]] || fail "$output"
	# the control: the image's own busybox runs
	run fpod exec "$CID" /bin/busybox echo fine
	[ "$output" = fine ]
	# the state file deleted: the kernel-side layer stays armed, and it is said
	stop_daemon
	rm -f "$state"
	start_daemon
	grep -q "is protected but its state file is missing" imprintd.log || fail "$(cat imprintd.log)"
	run fpod exec "$CID" /bin/sh -c '/tmp/s/busybox echo RAN; echo "rc=$?"'
	[[ "$output" != *RAN* ]] || fail "$output"
	[[ "$output" == *rc=137* ]] || fail "$output"
	# once the container is gone, a restart releases it
	fpod rm -f -t 0 "$CID" >/dev/null
	stop_daemon
	start_daemon
	grep -q "no longer exists: released" imprintd.log || fail "$(cat imprintd.log)"
}

# wrapper ARGS: imprint-runc with this file's store and imprintd, runc state in $F/runc
wrapper() {
	ln -sf "$IMPRINT" "$F/imprint-runc"
	IMPRINT_POLICY_DIR=$F/etc/policy.d IMPRINT_KEYS_DIR=$F/etc/keys IMPRINT_STATE_DIR=$F/state \
		IMPRINT_AUDIT_LOG=$F/audit-runc.jsonl IMPRINT_SOCKET=$SOCK \
		"$F/imprint-runc" --root "$F/runc" "$@"
}

# bundle DIR JQ: an OCI bundle of busybox (umoci) that runs sleep 1000, its config.json then
# passed through the jq filter JQ
bundle() {
	rm -rf "$1"
	umoci unpack --image "$IMAGES/busybox:latest" "$1" >/dev/null
	jq '.process.args = ["/bin/sleep", "1000"] | .process.terminal = false' "$1/config.json" |
		jq "$2" >"$F/config.json"
	mv "$F/config.json" "$1/config.json"
}

@test "imprint-runc: a container created through the wrapper is protected; a dropped binary is denied" {
	F=$BATS_FILE_TMPDIR
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
	F=$BATS_FILE_TMPDIR
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

# front SOCKET ARGS: the built imprint-runc front (a copy) with this file's store, asking
# imprintd at SOCKET, runc state in $F/runc. The `imprint` beside it records each time the front
# hands it a call (front/full.log: its arguments), then runs the real one as imprint-runc.
front() {
	local sock=$1
	shift
	if [ ! -x "$F/front/imprint-runc" ]; then
		mkdir -p "$F/front"
		cp "$(dirname "$IMPRINT")/imprint-runc" "$F/front/imprint-runc" ||
			fail "no imprint-runc built beside $IMPRINT"
		printf '#!/bin/bash\necho "$*" >>%q\nexec -a imprint-runc %q "$@"\n' \
			"$F/front/full.log" "$IMPRINT" >"$F/front/imprint"
		chmod +x "$F/front/imprint"
	fi
	IMPRINT_POLICY_DIR=$F/etc/policy.d IMPRINT_KEYS_DIR=$F/etc/keys IMPRINT_STATE_DIR=$F/state \
		IMPRINT_AUDIT_LOG=$F/audit-front.jsonl IMPRINT_SOCKET=$sock \
		"$F/front/imprint-runc" --root "$F/runc" "$@"
}

@test "imprint-runc front: create goes through imprintd without starting imprint; protected, or refused and deleted" {
	F=$BATS_FILE_TMPDIR
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

@test "imprint-runc front: imprintd not answering (a stale socket) deletes what runc created and verifies before creating again" {
	F=$BATS_FILE_TMPDIR
	skip_unless runc
	skip_unless umoci
	skip_unless python3
	local id=fs-$$ rc=0
	bundle "$F/fs" .
	# a socket file nobody listens on, as a killed imprintd leaves it
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$F/stale.sock"
	rm -f "$F/front/full.log"
	front "$F/stale.sock" create -b "$F/fs" "$id" </dev/null >/dev/null 2>"$F/fs.err" ||
		fail "create: $(cat "$F/fs.err")"
	grep -q "imprintd at $F/stale.sock: Connection refused; verifying here" "$F/fs.err" || fail "$(cat "$F/fs.err")"
	# handed to the full wrapper, paranoid: it verified the bundle, then runc created it
	grep -q -- "--imprint-paranoid=yes .* create -b $F/fs $id" "$F/front/full.log" || fail "$(cat "$F/front/full.log")"
	[ "$(runc --root "$F/runc" state "$id" | jq -r .status)" = created ]
	[ "$(jq -r --arg id "$id" 'select(.container == $id) | .verdict' "$F/audit-front.jsonl")" = allowed ]
	runc --root "$F/runc" delete -f "$id"
	echo 'evil::0:0::/:/bin/sh' >>"$F/fs/rootfs/etc/passwd"
	front "$F/stale.sock" create -b "$F/fs" "$id-bad" </dev/null >"$F/fs-bad.out" 2>&1 || rc=$?
	[ "$rc" -eq 1 ] || fail "exit $rc: $(cat "$F/fs-bad.out")"
	grep -q "imprint: refused" "$F/fs-bad.out" || fail "$(cat "$F/fs-bad.out")"
	run runc --root "$F/runc" state "$id-bad"
	[ "$status" -ne 0 ]
}

@test "drift: imprintd runs the sensor; a program outside the fingerprint is an alert in the events database" {
	F=$BATS_FILE_TMPDIR
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
	F=$BATS_FILE_TMPDIR
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
