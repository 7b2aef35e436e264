#!/usr/bin/env bats
# The tampering of docs/verify.md through the other ways in (the fixture of tests/lib/tamper.bash:
# a private podman store, a signed policy store, the paranoid hook, imprintd asked by the
# imprint-hook front, monitor mode): the hook verifies by itself when imprintd is down, the
# hooks.d timeout holds when imprintd never answers, and imprint-runc refuses a changed bundle
# or a revoked or untrusted policy. The tampering matrix itself (every change to a stored image
# or to the policy store, refused at create) is in bypass.bats.

load ../lib/common
load ../lib/tamper

setup() {
	tamper_fixture
}

teardown_file() {
	tamper_teardown_file
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
