# tests/lib/daemon.bash: imprintd protecting podman's containers (daemon.bats, bypass.bats;
# `load ../lib/daemon` after `load ../lib/common`). Everything lives in
# $F = $BATS_FILE_TMPDIR/daemon, built by the first test of a file that asks for it and kept
# until the file's end:
#
#   a private podman store (fpod: $ST, $RR) holding busybox ($BUSYBOX); a key (signer.key,
#   trusted in etc/keys) and base.json, the policy (`policy` pins busybox and signs it into
#   etc/policy.d); the policy store's options in $STORE; a hooks.d directory (hooks) whose
#   imprint hook asks imprintd at $SOCK, auditing to audit.jsonl; and that imprintd, with its
#   events database (events.db), pins ($IMPRINTD_PIN) and protect-state directory (protected),
#   log imprintd.log, pid imprintd.pid.
#
#   daemon_fixture        build the above once; start imprintd unless it runs; cd $F
#   daemon_teardown_file  stop imprintd, remove the containers, images and pins, unmount
#   policy MODE [MORE]    busybox pinned with --enforcement exec=MODE[,MORE], signed
#   start_daemon, stop_daemon
#   run_container         a busybox container through the hook, sleeping ($CID)
#   protected ID, unprotected ID   wait until `imprint status` lists ID protected, or not at all
#   events_until FILTER   the container's events into events.jsonl, until FILTER holds
#   bundle DIR JQ         an OCI bundle of busybox, its config.json passed through JQ
#   front SOCKET ARGS...  the built imprint-runc front asking imprintd at SOCKET

# daemon_init: the fixture's once-per-file part; its variables go to $F/fixture.env.
daemon_init() {
	images busybox
	skip_unless curl
	need "no BTF at /sys/kernel/btf/vmlinux" test -e /sys/kernel/btf/vmlinux
	export ST=$F/storage RR=$F/run SOCK=$F/d/imprintd.sock IMPRINTD_PIN=/sys/fs/bpf/imprint-dm-$$
	mkdir -p "$F"
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
	printf 'export %s=%q\n' ST "$ST" RR "$RR" SOCK "$SOCK" IMPRINTD_PIN "$IMPRINTD_PIN" \
		BUSYBOX "$BUSYBOX" STORE "$STORE" >"$F/fixture.env"
}

daemon_fixture() {
	F=$BATS_FILE_TMPDIR/daemon
	if [ -f "$F/fixture.env" ]; then
		. "$F/fixture.env"
	else
		daemon_init
	fi
	cd "$F"
	[ -f imprintd.pid ] || start_daemon
}

daemon_teardown_file() {
	F=$BATS_FILE_TMPDIR/daemon
	[ -f "$F/fixture.env" ] || return 0
	. "$F/fixture.env"
	stop_daemon
	fpod rm -af -t 0 >/dev/null 2>&1 || true
	fpod rmi -af >/dev/null 2>&1 || true
	unmount_below "$F"
	rm -rf "$IMPRINTD_PIN"
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
		--pin-dir "$IMPRINTD_PIN" --protect-state-dir "$F/protected" $STORE \
		2>>"$F/imprintd.log" 3>&- &
	echo $! >"$F/imprintd.pid"
	for _ in $(seq 100); do
		"$IMPRINT" status --socket "$SOCK" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "imprintd did not start: $(cat "$F/imprintd.log")"
}

stop_daemon() {
	local pid
	pid=$(cat "$F/imprintd.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	rm -f "$F/imprintd.pid"
}

run_container() {
	CID=$(fpod --hooks-dir "$F/hooks" run -d --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 --entrypoint /bin/sh "$BUSYBOX" -c 'sleep 1000')
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

# bundle DIR JQ: an OCI bundle of busybox (umoci) that runs sleep 1000, its config.json then
# passed through the jq filter JQ
bundle() {
	rm -rf "$1"
	umoci unpack --image "$IMAGES/busybox:latest" "$1" >/dev/null
	jq '.process.args = ["/bin/sleep", "1000"] | .process.terminal = false' "$1/config.json" |
		jq "$2" >"$F/config.json"
	mv "$F/config.json" "$1/config.json"
}

# front SOCKET ARGS: the built imprint-runc front (a copy) with this fixture's store, asking
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
