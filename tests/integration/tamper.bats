#!/usr/bin/env bats
# The tampering matrix of docs/verify.md: every way of changing a stored image (or the policy
# store) is refused in enforce mode with the right reason — by the hook verifying by itself
# (--paranoid) and by imprintd, asked by the imprint-hook front, whose cache held the image as
# verified just before the change — and is allowed but logged in monitor mode. Then the same
# through imprint-runc.

load ../lib/common

setup_file() {
	images busybox special
	skip_unless runc
	skip_unless setcap
	F=$BATS_FILE_TMPDIR
	export ST=$F/storage RR=$F/run SOCK=$F/imprintd.sock
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
	"$IMPRINT" daemon --socket "$SOCK" --events-db "$F/events.db" "${store[@]}" 2>"$F/imprintd.log" &
	echo $! >"$F/imprintd.pid"
	for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
	[ -S "$SOCK" ] || fail "imprintd did not start: $(cat "$F/imprintd.log")"
}

teardown_file() {
	local pid
	pid=$(cat "$BATS_FILE_TMPDIR/imprintd.pid")
	kill "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
	fpod rm -af >/dev/null 2>&1 || true
	fpod rmi -af >/dev/null 2>&1 || true
	unmount_below "$BATS_FILE_TMPDIR"
	# under ASan/UBSan the daemon reports there (leaks at exit included)
	! grep -E "runtime error|ERROR: (Address|Leak)Sanitizer" "$BATS_FILE_TMPDIR/imprintd.log" ||
		fail "imprintd: sanitizer report in imprintd.log"
}

fpod() {
	podman --root "$ST" --runroot "$RR" --storage-driver overlay "$@"
}

# hook_json NAME ARGS...: a hooks.d file for imprint hook ARGS, auditing to $F/NAME.jsonl
hook_json() {
	local name=$1
	shift
	printf '%s\n' "$@" | jq -R . | jq -s --arg bin "$IMPRINT" --arg log "$F/audit-$name.jsonl" \
		'{version: "1.0.0", hook: {path: $bin, args: (["imprint", "hook"] + . + ["--audit-log", $log])},
		  when: {always: true}, stages: ["createRuntime"]}'
}

setup() {
	F=$BATS_FILE_TMPDIR
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

@test "tamper: one byte of a binary changed, size and mtime preserved" {
	touch -r "$(L /bin/busybox)" ref
	size=$(stat -c %s "$(L /bin/busybox)")
	# the last byte (section headers, never loaded) so the binary still runs in monitor mode
	printf '\x5a' | dd of="$(L /bin/busybox)" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
	touch -r ref "$(L /bin/busybox)"
	[ "$(stat -c %s "$(L /bin/busybox)")" = "$size" ]
	refused file /bin/busybox
}

@test "tamper: a file added to a layer" {
	cp "$(L /bin/busybox)" "$(L /bin/evil)"
	refused file /bin/evil
}

@test "tamper: a file removed from a layer" {
	rm "$(L /etc/group)"
	refused file /etc/group
}

@test "tamper: chmod u+s" {
	chmod u+s "$(L /bin/busybox)"
	refused file /bin/busybox
}

@test "tamper: chown" {
	chown 1000:1000 "$(L /etc/passwd)"
	refused file /etc/passwd
}

@test "tamper: a symlink retargeted" {
	ln -sfn /tmp/evil "$(L /bin/sh)"
	refused file /bin/sh
}

@test "tamper: security.capability added" {
	setcap cap_chown+ep "$(L /bin/busybox)"
	refused file /bin/busybox
}

@test "tamper: the stored config edited (entrypoint) together with images.json" {
	key=$(printf 'sha256:%s' "$BUSYBOX" | base64 -w0)
	cfg=$ST/overlay-images/$BUSYBOX/=$key
	[ -f "$cfg" ] || fail "no config big-data at $cfg"
	jq -c '.config.Entrypoint = ["/bin/sh", "-c", "evil"]' "$cfg" >cfg.json
	cp cfg.json "$cfg"
	new=sha256:$(sha256sum "$cfg" | cut -d' ' -f1)
	jq --arg id "$BUSYBOX" --arg k "sha256:$BUSYBOX" --arg d "$new" --argjson s "$(stat -c %s "$cfg")" \
		'map(if .id == $id then ."big-data-digests"[$k] = $d | ."big-data-sizes"[$k] = $s else . end)' \
		"$ST/overlay-images/images.json" >images.json
	cp images.json "$ST/overlay-images/images.json"
	# podman itself checks the config against the image ID and refuses before any hook runs;
	# imprint refuses it too, for engines that do not check
	start paranoid "$BUSYBOX"
	[ "$status" -ne 0 ]
	[[ "$output" != *container-ran* ]]
	run "$IMPRINT" verify --json --storage-root "$ST" --policy-dir etc/policy.d --keys-dir etc/keys \
		--state-dir state "containers-storage:$BUSYBOX"
	[ "$status" -eq 1 ]
	[ "$(jq -r .reason <<<"$output")" = integrity ] || fail "$output"
	[[ "$(jq -r '.reasons[0].message' <<<"$output")" == *"stored config is"* ]]
}

@test "tamper: the layer directory swapped for another image's layer" {
	mv "$ST/overlay/$BLAYER/diff" "$F/swapped-out"
	cp -a "$ST/overlay/$SLAYER/diff" "$ST/overlay/$BLAYER/diff"
	refused layers "" "$BUSYBOX" norun # the other image has no /bin/echo to run
	rm -rf "$F/swapped-out"
}

@test "tamper: an image not in the policy" {
	refused unknown-image "" "$SPECIAL"
}

@test "tamper: a revoked image" {
	"$IMPRINT" policy revoke policy.json "sha256:$BUSYBOX" --reason test >/dev/null
	sign
	refused revoked
}

@test "tamper: a policy signed by an untrusted key" {
	"$IMPRINT" keygen --out untrusted >/dev/null
	"$IMPRINT" policy add policy.json "oci:$IMAGES/special:latest" >/dev/null
	sign untrusted
	refused policy-store
}

@test "tamper: a policy with a flipped byte" {
	python3 - etc/policy.d/base.dsse <<-'EOF'
		import base64, json, sys
		env = json.load(open(sys.argv[1]))
		p = bytearray(base64.b64decode(env["payload"]))
		i = p.index(b'"deny"') + 1
		p[i] ^= 0x01
		env["payload"] = base64.b64encode(bytes(p)).decode()
		json.dump(env, open(sys.argv[1], "w"))
	EOF
	refused policy-store
}

@test "tamper: a rollback to a lower serial" {
	cp etc/policy.d/base.dsse old.dsse
	"$IMPRINT" policy revoke policy.json "sha256:$BUSYBOX" >/dev/null
	sign
	start paranoid "$BUSYBOX" # records the higher serial
	[ "$status" -ne 0 ]
	cp old.dsse etc/policy.d/base.dsse
	refused policy-store
	[[ "$(tail -1 audit-paranoid.jsonl | jq -r '.reasons[0].message')" == *rollback* ]]
}

@test "tamper: an expired policy" {
	jq '.expires = "2021-01-01T00:00:00Z"' policy.json >p.json && mv p.json policy.json
	sign
	refused policy-store
	[[ "$(tail -1 audit-paranoid.jsonl | jq -r '.reasons[0].message')" == *expired* ]]
}

@test "imprintd: a policy that expires while imprintd runs stops being honoured" {
	local until
	until=$(date -u -d '+4 seconds' +%Y-%m-%dT%H:%M:%SZ)
	jq --arg t "$until" '.expires = $t' policy.json >p.json && mv p.json policy.json
	sign
	# the control: honoured until then (imprintd loaded it, and keeps it)
	start daemon "$BUSYBOX"
	[ "$status" -eq 0 ] || fail "$output"
	start daemon "$BUSYBOX"
	[ "$status" -eq 0 ] || fail "$output"
	while [ "$(date -u +%s)" -le "$(date -u -d "$until" +%s)" ]; do sleep 0.5; done
	refused policy-store
	[[ "$(tail -1 audit-daemon.jsonl | jq -r '.reasons[0].message')" == *expired* ]] ||
		fail "$(tail -1 audit-daemon.jsonl)"
}

@test "imprintd: another directory mounted over the policy directory is read at the next start" {
	mkdir -p other.d
	"$IMPRINT" policy revoke policy.json "sha256:$BUSYBOX" --reason test >/dev/null
	"$IMPRINT" policy sign policy.json --key signer.key -o other.d/base.dsse >/dev/null
	# no file in the watched directory changes: only what the path names does
	mount --bind other.d etc/policy.d
	run refused revoked
	umount etc/policy.d
	[ "$status" -eq 0 ] || fail "$output"
}

@test "tamper: the container's read-write layer pre-seeded with a file shadowing an image binary" {
	local mode
	for mode in paranoid daemon monitor; do
		fpod create --name "seed-$mode" --network none --entrypoint /bin/echo "$BUSYBOX" started >/dev/null
		layer=$(jq -r --arg n "seed-$mode" '.[] | select(.names[0] == $n) | .layer' \
			"$ST/overlay-containers/containers.json")
		mkdir -p "$ST/overlay/$layer/diff/bin"
		cp "$(L /bin/busybox)" "$ST/overlay/$layer/diff/bin/busybox"
		printf 'pwned' >>"$ST/overlay/$layer/diff/bin/busybox"
		chmod 755 "$ST/overlay/$layer/diff/bin/busybox"
		run fpod --hooks-dir "$F/hooks-$mode" start -a "seed-$mode"
		fpod rm -f "seed-$mode" >/dev/null
		[ "$(tail -1 "audit-$mode.jsonl" | jq -r .reason)" = shadowed ] || fail "$mode: $output"
		if [ $mode = monitor ]; then
			[ "$(tail -1 audit-monitor.jsonl | jq -r .allowed)" = true ]
		else
			[ "$status" -ne 0 ] || fail "$mode: started"
			[[ "$output" == *"/bin/busybox: image file replaced in the container layer"* ]]
		fi
	done
}

@test "tamper: a preload file and a library put in a created container's layer before it starts" {
	local mode layer
	for mode in paranoid daemon monitor; do
		# the control: created and started untouched, it runs
		fpod create --name "clean-$mode" --network none --ulimit nofile=1024:1024 \
			--ulimit nproc=4096:4096 --entrypoint /bin/echo "$BUSYBOX" started >/dev/null
		run fpod --hooks-dir "$F/hooks-$mode" start -a "clean-$mode"
		fpod rm -f "clean-$mode" >/dev/null
		[ "$status" -eq 0 ] || fail "$mode, untouched: $output"
		fpod create --name "pre-$mode" --network none --ulimit nofile=1024:1024 \
			--ulimit nproc=4096:4096 --entrypoint /bin/echo "$BUSYBOX" started >/dev/null
		layer=$(jq -r --arg n "pre-$mode" '.[] | select(.names[0] == $n) | .layer' \
			"$ST/overlay-containers/containers.json")
		mkdir -p "$ST/overlay/$layer/diff/etc" "$ST/overlay/$layer/diff/usr/lib"
		echo /usr/lib/libevil.so >"$ST/overlay/$layer/diff/etc/ld.so.preload"
		cp "$(L /bin/busybox)" "$ST/overlay/$layer/diff/usr/lib/libevil.so"
		run fpod --hooks-dir "$F/hooks-$mode" start -a "pre-$mode"
		fpod rm -f "pre-$mode" >/dev/null
		tail -1 "audit-$mode.jsonl" | jq -e '[.reasons[] | select(.code == "added") | .path] |
			index("/etc/ld.so.preload") and index("/usr/lib/libevil.so")' >/dev/null ||
			fail "$mode: $(tail -1 "audit-$mode.jsonl" | jq -c .reasons)"
		if [ $mode = monitor ]; then
			[ "$(tail -1 audit-monitor.jsonl | jq -r .allowed)" = true ]
		else
			[ "$status" -ne 0 ] || fail "$mode: started"
			[[ "$output" == *"/etc/ld.so.preload: a file added to the container layer before the container ran"* ]] ||
				fail "$mode: $output"
		fi
	done
}

@test "imprintd: the cache is used, and a change after verification is seen (status figures)" {
	before=$("$IMPRINT" daemon --status --socket "$SOCK")
	start daemon "$BUSYBOX"
	[ "$status" -eq 0 ]
	after=$("$IMPRINT" daemon --status --socket "$SOCK")
	[ "$(jq .hits <<<"$after")" -gt "$(jq .hits <<<"$before")" ]
	touch "$(L /etc/passwd)" # same content: an event all the same, so the layer is re-verified
	start daemon "$BUSYBOX"
	[ "$status" -eq 0 ]
	last=$("$IMPRINT" daemon --status --socket "$SOCK")
	[ "$(jq .invalidations <<<"$last")" -gt "$(jq .invalidations <<<"$after")" ]
	[ "$(jq .misses <<<"$last")" -gt "$(jq .misses <<<"$after")" ]
}

@test "imprint-hook: imprintd answers without imprint starting; imprintd gone, imprint hook --paranoid verifies" {
	mkdir -p front hooks-front
	cp "$(dirname "$IMPRINT")/imprint-hook" front/
	# the imprint beside this copy records each time the front hands it the hook
	printf '#!/bin/bash\necho "$*" >>%q\nexec -a imprint %q "$@"\n' "$F/front/full.log" "$IMPRINT" >front/imprint
	chmod +x front/imprint
	jq --arg front "$F/front/imprint-hook" '.hook.path = $front' hooks-daemon/imprint.json |
		sed 's|audit-daemon.jsonl|audit-front.jsonl|' >hooks-front/imprint.json
	rm -f front/full.log
	start front "$BUSYBOX"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(jq -r .verdict audit-front.jsonl)" = allowed ]
	[ ! -e front/full.log ] || fail "imprint ran: $(cat front/full.log)"
	echo x >>"$(L /etc/passwd)"
	start front "$BUSYBOX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"imprint: refused"*"/etc/passwd"* ]] || fail "$output"
	[ ! -e front/full.log ] || fail "imprint ran: $(cat front/full.log)"
	# a socket nobody answers on (a killed imprintd leaves it): the full hook, paranoid
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$F/dead.sock"
	sed -i "s|\"$SOCK\"|\"$F/dead.sock\"|" hooks-front/imprint.json
	start front "$BUSYBOX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"verifying in imprint hook"* ]] || fail "$output"
	grep -q -- "^hook .*--paranoid$" front/full.log || fail "$(cat front/full.log)"
	[ "$(tail -1 audit-front.jsonl | jq -r .reason)" = file ]
	rm -f "$F/dead.sock"
}

@test "imprintd down: the hook verifies by itself" {
	echo x >>"$(L /etc/passwd)"
	sed 's|"--socket", "[^"]*"|"--socket", "/nonexistent/imprintd.sock"|' hooks-daemon/imprint.json >h.json
	mkdir -p hooks-nodaemon && mv h.json hooks-nodaemon/imprint.json
	sed -i 's|audit-daemon.jsonl|audit-nodaemon.jsonl|' hooks-nodaemon/imprint.json
	start nodaemon "$BUSYBOX"
	[ "$status" -ne 0 ]
	[ "$(jq -r .reason audit-nodaemon.jsonl)" = file ]
}

@test "hook: the hooks.d timeout is honoured (an imprintd that never answers)" {
	python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept(); time.sleep(60)' "$F/stuck.sock" &
	local stuck=$!
	for _ in $(seq 50); do [ -S "$F/stuck.sock" ] && break; sleep 0.1; done
	mkdir -p hooks-stuck
	jq --arg s "$F/stuck.sock" '.hook.timeout = 2 | .hook.args |= (map(if . == "--paranoid" then "--socket" else . end) |
		.[:3] + [$s] + .[3:])' hooks-paranoid/imprint.json >hooks-stuck/imprint.json
	SECONDS=0
	start stuck "$BUSYBOX"
	kill $stuck || true
	[ "$status" -ne 0 ]
	[[ "$output" != *container-ran* ]]
	[[ "$output" == *"timeout"* ]] || fail "$output"
	[ "$SECONDS" -lt 15 ]
}

# bundle: an OCI bundle of busybox (umoci) that runs /bin/true
bundle() {
	rm -rf "$F/bundle"
	umoci unpack --image "$IMAGES/busybox:latest" "$F/bundle" >/dev/null
	jq '.process.args = ["/bin/true"] | .process.terminal = false' "$F/bundle/config.json" >c.json
	mv c.json "$F/bundle/config.json"
}

wrapper() {
	ln -sf "$IMPRINT" "$F/imprint-runc"
	IMPRINT_POLICY_DIR=$F/etc/policy.d IMPRINT_KEYS_DIR=$F/etc/keys IMPRINT_STATE_DIR=$F/state \
		IMPRINT_FINGERPRINT_DIR=$F/etc/fps IMPRINT_AUDIT_LOG=$F/audit-runc.jsonl \
		IMPRINT_SOCKET=$SOCK "$F/imprint-runc" --root "$F/runc" "$@"
}

@test "imprint-runc: each change to the bundle's rootfs is refused; monitor mode runs it and logs" {
	local r=$F/bundle/rootfs change n=0
	for change in \
		"printf '\\x5a' | dd of=$r/bin/busybox bs=1 seek=\$((\$(stat -c %s $r/bin/busybox) - 1)) conv=notrunc 2>/dev/null" \
		"cp $r/bin/busybox $r/bin/evil" \
		"rm $r/etc/group" \
		"chmod u+s $r/bin/busybox" \
		"chown 1000 $r/etc/passwd" \
		"ln -sfn /tmp/evil $r/bin/sh" \
		"setcap cap_chown+ep $r/bin/busybox"; do
		bundle
		run wrapper run -b "$F/bundle" "ok-$n"
		[ "$status" -eq 0 ] || fail "pristine bundle refused: $output"
		sh -c "$change"
		run wrapper run -b "$F/bundle" "bad-$n"
		[ "$status" -eq 1 ] || fail "'$change': exit $status: $output"
		[ "$(tail -1 audit-runc.jsonl | jq -r .reason)" = unknown-image ]
		IMPRINT_MODE=monitor run wrapper run -b "$F/bundle" "mon-$n"
		# runc ran it (a file capability the bundle's bounding set lacks makes exec fail)
		[ "$status" -eq 0 ] || [[ "$output" == *"exec /bin/true: operation not permitted"* ]] ||
			fail "monitor '$change': $output"
		[ "$(tail -1 audit-runc.jsonl | jq -r '"\(.verdict) \(.allowed)"')" = "refused true" ]
		n=$((n + 1))
	done
}

@test "imprint-runc: revoked, untrusted and rolled-back policies refuse the bundle" {
	bundle
	root=$(jq -r '.images[0].rootDigest' policy.json)
	"$IMPRINT" policy revoke policy.json "$root" >/dev/null
	sign
	run wrapper run -b "$F/bundle" rev
	[ "$status" -eq 1 ]
	[ "$(tail -1 audit-runc.jsonl | jq -r .reason)" = revoked ]
	cp base.json policy.json
	"$IMPRINT" keygen --out untrusted2 >/dev/null
	sign untrusted2
	run wrapper run -b "$F/bundle" untrusted
	[ "$status" -eq 1 ]
	[ "$(tail -1 audit-runc.jsonl | jq -r .reason)" = policy-store ]
}
