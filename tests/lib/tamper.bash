# tests/lib/tamper.bash: podman containers refused at create because a stored image or the
# policy store was changed on the host (tamper.bats, bypass.bats; `load ../lib/tamper` after
# `load ../lib/common`). Everything lives in $F = $BATS_FILE_TMPDIR/tamper, built by the first
# test of a file that asks for it and kept until the file's end:
#
#   a private podman store (fpod: $ST, $RR) holding busybox ($BUSYBOX, its one layer $BLAYER)
#   and special ($SPECIAL, $SLAYER), with pristine copies of busybox's layer and of the image
#   records; a key (signer.key, trusted in etc/keys), base.json (busybox pinned) and busybox's
#   fingerprint in etc/fps; three hooks.d directories, each auditing to audit-NAME.jsonl:
#   hooks-paranoid (imprint hook --paranoid), hooks-daemon (the imprint-hook front asking the
#   fixture's imprintd at $SOCK, as the shipped hooks.d file does) and hooks-monitor
#   (--paranoid --mode monitor); and that imprintd (log imprintd.log, pid imprintd.pid).
#
#   tamper_fixture        build the above once, then give the test a pristine store and a
#                         pristine policy (policy.json, signed), which imprintd has just
#                         verified and cached: what the test changes comes after that; cd $F
#   tamper_teardown_file  stop imprintd (and fail on a sanitizer report in its log), remove
#                         the containers and images, unmount
#   start HOOKS IMAGE     podman run IMAGE with the hooks of $F/hooks-HOOKS, as `run` does
#   refused CODE [PATH] [IMAGE] [norun]   see below
#   sign [KEY]            sign policy.json into the policy store (KEY: default signer)
#   L PATH                PATH in busybox's stored layer

# tamper_init: the fixture's once-per-file part; its variables go to $F/fixture.env.
tamper_init() {
	images busybox special
	skip_unless runc
	skip_unless setcap
	export ST=$F/storage RR=$F/run SOCK=$F/imprintd.sock
	mkdir -p "$F"
	fpod pull -q "oci:$IMAGES/busybox:latest" >/dev/null
	fpod pull -q "oci:$IMAGES/special:latest" >/dev/null
	export BUSYBOX SPECIAL BLAYER SLAYER
	BUSYBOX=$(fpod images -q --no-trunc --filter "reference=*busybox*" | sed 's/^sha256://')
	SPECIAL=$(fpod images -q --no-trunc --filter "reference=*special*" | sed 's/^sha256://')
	BLAYER=$(jq -r --arg id "$BUSYBOX" '.[] | select(.id == $id) | .layer' "$ST/overlay-images/images.json")
	SLAYER=$(jq -r --arg id "$SPECIAL" '.[] | select(.id == $id) | .layer' "$ST/overlay-images/images.json")
	cp -a "$ST/overlay/$BLAYER/diff" "$F/pristine-diff"
	cp -a "$ST/overlay-images" "$F/pristine-images"

	mkdir -p "$F/etc/keys" "$F/etc/policy.d" "$F/etc/fps" "$F/hooks-paranoid" "$F/hooks-daemon" \
		"$F/hooks-monitor"
	cd "$F"
	"$IMPRINT" keygen --out signer >/dev/null
	cp signer.pub etc/keys/
	"$IMPRINT" policy init base.json --name base >/dev/null
	"$IMPRINT" policy add base.json "oci:$IMAGES/busybox:latest" >/dev/null
	"$IMPRINT" fingerprint "oci:$IMAGES/busybox:latest" \
		-o "etc/fps/$(jq -r '.images[0].rootDigest' base.json | cut -d: -f2).json" >/dev/null
	local store=(--policy-dir "$F/etc/policy.d" --keys-dir "$F/etc/keys" --state-dir "$F/state"
		--fingerprint-dir "$F/etc/fps")
	hook_json paranoid --paranoid "${store[@]}" >hooks-paranoid/imprint.json
	# with imprintd, podman runs the small front imprint-hook, as the shipped hooks.d file does
	[ -x "$(dirname "$IMPRINT")/imprint-hook" ] || fail "no imprint-hook built beside $IMPRINT"
	hook_json daemon --socket "$SOCK" "${store[@]}" |
		jq --arg front "$(dirname "$IMPRINT")/imprint-hook" \
			'.hook.path = $front | .hook.args = ["imprint-hook"] + .hook.args[2:]' \
			>hooks-daemon/imprint.json
	hook_json monitor --paranoid --mode monitor "${store[@]}" >hooks-monitor/imprint.json
	"$IMPRINT" daemon --socket "$SOCK" --events-db "$F/events.db" "${store[@]}" \
		2>"$F/imprintd.log" 3>&- &
	echo $! >"$F/imprintd.pid"
	for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
	[ -S "$SOCK" ] || fail "imprintd did not start: $(cat "$F/imprintd.log")"
	printf 'export %s=%q\n' ST "$ST" RR "$RR" SOCK "$SOCK" BUSYBOX "$BUSYBOX" SPECIAL "$SPECIAL" \
		BLAYER "$BLAYER" SLAYER "$SLAYER" >"$F/fixture.env"
}

tamper_fixture() {
	F=$BATS_FILE_TMPDIR/tamper
	if [ -f "$F/fixture.env" ]; then
		. "$F/fixture.env"
	else
		tamper_init
	fi
	cd "$F"
	# a pristine store and policy for every test
	rm -rf "$ST/overlay/$BLAYER/diff" "$ST/overlay-images" state etc/policy.d/*
	cp -a pristine-diff "$ST/overlay/$BLAYER/diff"
	cp -a pristine-images "$ST/overlay-images"
	rm -f etc/keys/*.pub && cp signer.pub etc/keys/
	cp base.json policy.json
	sign
	rm -f audit-*.jsonl
	# imprintd verifies busybox now, and caches it: the tampering below happens after that
	start daemon "$BUSYBOX"
	[ "$status" -eq 0 ] || fail "pristine busybox refused: $output"
	[ "$(jq -r .verdict audit-daemon.jsonl)" = allowed ]
}

tamper_teardown_file() {
	local pid
	F=$BATS_FILE_TMPDIR/tamper
	[ -f "$F/fixture.env" ] || return 0
	. "$F/fixture.env"
	pid=$(cat "$F/imprintd.pid")
	kill "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	fpod rm -af >/dev/null 2>&1 || true
	fpod rmi -af >/dev/null 2>&1 || true
	unmount_below "$F"
	# under ASan/UBSan the daemon reports there (leaks at exit included)
	! grep -E "runtime error|ERROR: (Address|Leak)Sanitizer" "$F/imprintd.log" ||
		fail "imprintd: sanitizer report in imprintd.log"
}

# hook_json NAME ARGS...: a hooks.d file for imprint hook ARGS, auditing to $F/audit-NAME.jsonl
hook_json() {
	local name=$1
	shift
	printf '%s\n' "$@" | jq -R . | jq -s --arg bin "$IMPRINT" --arg log "$F/audit-$name.jsonl" \
		'{version: "1.0.0", hook: {path: $bin, args: (["imprint", "hook"] + . + ["--audit-log", $log])},
		  when: {always: true}, stages: ["createRuntime"]}'
}

sign() {
	"$IMPRINT" policy sign policy.json --key "${1:-signer}.key" -o etc/policy.d/base.dsse >/dev/null
}

# start HOOKS IMAGE: podman run with the hooks of $F/hooks-HOOKS
start() {
	run fpod --hooks-dir "$F/hooks-$1" run --rm --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 --entrypoint /bin/echo "$2" container-ran
}

# refused CODE [PATH] [IMAGE] [norun]: paranoid and daemon hooks refuse with a reason CODE (and
# PATH); the monitor hook lets the container start (and run, unless norun: the tampering broke
# it) and logs the refusal.
refused() {
	local code=$1 path=${2:-} image=${3:-$BUSYBOX} norun=${4:-} mode
	for mode in paranoid daemon; do
		start $mode "$image"
		[ "$status" -ne 0 ] || fail "$mode: the container started"
		[[ "$output" != *container-ran* ]] || fail "$mode: the container ran"
		[[ "$output" == *"imprint: refused"* ]] || fail "$mode: $output"
		tail -1 "audit-$mode.jsonl" | jq -e --arg c "$code" '[.reasons[].code] | index($c)' >/dev/null ||
			fail "$mode: no reason $code in $(tail -1 "audit-$mode.jsonl" | jq -c '.reasons')"
		if [ -n "$path" ]; then
			tail -1 "audit-$mode.jsonl" | jq -e --arg p "$path" '[.reasons[].path] | index($p)' >/dev/null ||
				fail "$mode: $path not named: $(tail -1 "audit-$mode.jsonl" | jq -c .reasons)"
		fi
	done
	start monitor "$image"
	if [ -z "$norun" ]; then
		[ "$status" -eq 0 ] || fail "monitor: $output"
		[[ "$output" == *container-ran* ]]
	fi
	[ "$(tail -1 audit-monitor.jsonl | jq -r '"\(.verdict) \(.allowed) \(.mode)"')" = "refused true monitor" ]
	tail -1 audit-monitor.jsonl | jq -e --arg c "$code" '[.reasons[].code] | index($c)' >/dev/null
}

L() { echo "$ST/overlay/$BLAYER/diff$1"; }
