#!/usr/bin/env bats
# Verification at container creation through the real engines: podman with `imprint hook` in a
# hooks.d directory, and runc through the `imprint-runc` wrapper. Images are tampered with as
# they are stored, and the container must not start.

load ../lib/common

setup_file() {
	images busybox special
	skip_unless runc
	F=$BATS_FILE_TMPDIR
	export ST=$F/storage RR=$F/run
	fpod pull -q "oci:$IMAGES/busybox:latest" >/dev/null
	fpod pull -q "oci:$IMAGES/special:latest" >/dev/null
}

teardown_file() {
	fpod rm -af >/dev/null 2>&1 || true
	fpod rmi -af >/dev/null 2>&1 || true
	unmount_below "$BATS_FILE_TMPDIR"
}

# fpod ARGS...: podman on this file's private store (tampering never touches the shared one).
fpod() {
	podman --root "$ST" --runroot "$RR" --storage-driver overlay "$@"
}

# image_id NAME: the ID of the image pulled from $IMAGES/NAME
image_id() {
	fpod images -q --no-trunc --filter "reference=*$1*" | head -1 | sed 's/^sha256://'
}

setup() {
	W=$BATS_TEST_TMPDIR
	cd "$W"
	mkdir -p keys policy.d state fps hooks
	"$IMPRINT" keygen --out signer >/dev/null
	cp signer.pub keys/
	"$IMPRINT" policy init base.json --name base >/dev/null
	"$IMPRINT" policy add base.json "oci:$IMAGES/busybox:latest" >/dev/null
	"$IMPRINT" fingerprint "oci:$IMAGES/busybox:latest" \
		-o "fps/$(jq -r '.images[0].rootDigest' base.json | cut -d: -f2).json" >/dev/null
	sign
	write_hook
	BUSYBOX=$(image_id busybox)
	SPECIAL=$(image_id special)
	[ -n "$BUSYBOX" ] && [ -n "$SPECIAL" ]
}

sign() {
	"$IMPRINT" policy sign base.json --key signer.key -o policy.d/base.dsse >/dev/null
}

# write_hook [EXTRA ARGS...]: hooks/imprint.json from the shipped one, pointed at this test's
# store and binary.
write_hook() {
	local extra
	extra=$(printf '%s\n' "$@" | jq -R . | jq -sc 'map(select(. != ""))')
	jq --arg bin "$IMPRINT" --arg w "$W" --argjson extra "$extra" '
		.hook.path = $bin |
		.hook.args += ["--policy-dir", "\($w)/policy.d", "--keys-dir", "\($w)/keys",
			"--state-dir", "\($w)/state", "--fingerprint-dir", "\($w)/fps",
			"--audit-log", "\($w)/audit.jsonl"] + $extra' \
		"$TOP/data/hooks.d/imprint.json" >hooks/imprint.json
}

prun() {
	fpod --hooks-dir "$W/hooks" run --rm --network none --ulimit nofile=1024:1024 \
		--ulimit nproc=4096:4096 "$@"
}

@test "hook: the shipped hooks.d file is schema 1.0.0 for createRuntime" {
	run jq -r '.version, (.stages | join(",")), .when.always, .hook.path, .hook.args[0]' "$TOP/data/hooks.d/imprint.json"
	[ "$output" = "$(printf '1.0.0\ncreateRuntime\ntrue\n/usr/local/bin/imprint-hook\nimprint-hook')" ]
}

@test "hook: podman starts a container from an allowed image; the decision is audited" {
	run prun --entrypoint /bin/echo "$BUSYBOX" hello
	[ "$status" -eq 0 ] || fail "$output"
	[ "$output" = hello ]
	[ "$(jq -r '.verdict, .event' audit.jsonl | tr '\n' ' ')" = "allowed hook " ]
	[ "$(jq -r .digests.config audit.jsonl)" = "sha256:$BUSYBOX" ]
	[ "$(jq -r .container audit.jsonl | wc -c)" = 65 ]
}

@test "hook: podman does not start an image no policy allows, and shows why" {
	run prun --entrypoint /bin/echo "$SPECIAL" hello
	[ "$status" -ne 0 ]
	[[ "$output" != *hello* ]]
	[[ "$output" == *"imprint: refused"*"no policy allows image sha256:$SPECIAL"* ]] || fail "$output"
	[ "$(jq -r .verdict audit.jsonl)" = refused ]
}

@test "hook: a revoked image does not start" {
	"$IMPRINT" policy revoke base.json "sha256:$BUSYBOX" --reason "test revocation" >/dev/null
	sign
	run prun --entrypoint /bin/true "$BUSYBOX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"revoked by policy 'base': test revocation"* ]] || fail "$output"
}

@test "hook: the storage metadata is a map, not evidence: containers.json pointing at another image" {
	"$IMPRINT" policy add base.json "oci:$IMAGES/special:latest" >/dev/null
	sign
	fpod create --name swapped --network none --entrypoint /bin/true "$BUSYBOX" >/dev/null
	# the attacker claims the container was made from the other, allowed image
	jq --arg img "$SPECIAL" 'map(if .names[0] == "swapped" then .image = $img else . end)' \
		"$ST/overlay-containers/containers.json" >c.json
	cp c.json "$ST/overlay-containers/containers.json"
	run fpod --hooks-dir "$W/hooks" start -a swapped
	[ "$status" -ne 0 ]
	[[ "$output" == *"imprint: refused"*"is not the verified image's"* ]] || fail "$output"
	fpod rm -f swapped >/dev/null
}

@test "hook: the container's read-write layer may not shadow an image file" {
	fpod create --name shadow --network none --entrypoint /bin/true "$BUSYBOX" >/dev/null
	layer=$(jq -r '.[] | select(.names[0] == "shadow") | .layer' "$ST/overlay-containers/containers.json")
	mkdir -p "$ST/overlay/$layer/diff/etc"
	printf 'root::0:0::/root:/bin/sh\n' >"$ST/overlay/$layer/diff/etc/passwd"
	run fpod --hooks-dir "$W/hooks" start -a shadow
	[ "$status" -ne 0 ]
	[[ "$output" == *"/etc/passwd: image file replaced in the container layer"* ]] || fail "$output"
	fpod rm -f shadow >/dev/null
}

@test "hook: a tampered stored layer is refused, naming the file; the repaired layer starts again" {
	layer=$(jq -r --arg id "$BUSYBOX" '.[] | select(.id == $id) | .layer' "$ST/overlay-images/images.json")
	file=$ST/overlay/$layer/diff/etc/passwd
	cp -a "$file" passwd.orig
	echo 'evil::0:0::/:/bin/sh' >>"$file"
	run prun --entrypoint /bin/true "$BUSYBOX"
	cp -a passwd.orig "$file"
	[ "$status" -ne 0 ]
	[[ "$output" == *"imprint: refused"*"/etc/passwd: size, content changed"*"the container is not started"* ]] ||
		fail "$output"
	run prun --entrypoint /bin/echo "$BUSYBOX" repaired
	[ "$status" -eq 0 ]
	[ "$output" = repaired ]
}

@test "hook --mode monitor: an unknown image starts, and the audit log says it would be refused" {
	write_hook --mode monitor
	run prun --entrypoint /bin/echo "$SPECIAL" hello
	[ "$status" -eq 0 ]
	[[ "$output" == *hello* ]]
	[ "$(jq -r '.verdict, .allowed, .mode' audit.jsonl | tr '\n' ' ')" = "refused true monitor " ]
}

@test "hook fails closed: no policy, unreadable store, malformed state, bad arguments" {
	rm policy.d/base.dsse
	run prun --entrypoint /bin/true "$BUSYBOX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no valid policy"* ]] || fail "$output"
	sign
	rm keys/signer.pub
	run prun --entrypoint /bin/true "$BUSYBOX"
	[ "$status" -ne 0 ]
	[[ "$output" == *"no trusted key"* ]] || fail "$output"
	cp signer.pub keys/
	for state in '' 'not json' '[]' '{"id":"../../x","bundle":"/tmp"}' '{"id":"a"}' \
		'{"id":"a","bundle":"relative"}' '{"id":"a","bundle":"/nonexistent"}'; do
		run "$IMPRINT" hook --policy-dir policy.d --keys-dir keys --state-dir state \
			--audit-log '' <<<"$state"
		[ "$status" -eq 1 ] || fail "state '$state': exit $status"
		[[ "$output" == "imprint: refused"* ]] || fail "state '$state': $output"
	done
	run "$IMPRINT" hook --bogus </dev/null
	[ "$status" -eq 1 ]
}

# bundle NAME: an OCI bundle from `umoci unpack` that runs /bin/true without a terminal
bundle() {
	umoci unpack --image "$IMAGES/$1:latest" "$W/$1" >/dev/null
	jq '.process.args = ["/bin/true"] | .process.terminal = false' "$W/$1/config.json" >cfg.json
	mv cfg.json "$W/$1/config.json"
}

wrapper() {
	ln -sf "$IMPRINT" "$W/imprint-runc"
	IMPRINT_POLICY_DIR=$W/policy.d IMPRINT_KEYS_DIR=$W/keys IMPRINT_STATE_DIR=$W/state \
		IMPRINT_FINGERPRINT_DIR=$W/fps IMPRINT_AUDIT_LOG=$W/audit.jsonl "$W/imprint-runc" "$@"
}

@test "imprint-runc: run verifies the bundle's rootfs, then runs runc; a tampered rootfs never runs" {
	bundle busybox
	run wrapper --root "$W/runc" run -b "$W/busybox" ok-$$
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(jq -r '.verdict, .event' audit.jsonl | tr '\n' ' ')" = "allowed runtime " ]
	echo 'evil::0:0::/:/bin/sh' >>"$W/busybox/rootfs/etc/passwd"
	run wrapper --root "$W/runc" --log "$W/runc.log" --log-format json run --bundle="$W/busybox" bad-$$
	[ "$status" -eq 1 ]
	[[ "$output" == *"imprint: refused"*"no policy allows root digest"* ]] || fail "$output"
	[[ "$(jq -r .msg runc.log)" == "imprint: refused"* ]]
	# runc never saw it
	run runc --root "$W/runc" state bad-$$
	[ "$status" -ne 0 ]
}

@test "imprint-runc: other subcommands pass straight through to runc" {
	[ "$(wrapper --version)" = "$(runc --version)" ]
	run wrapper --root "$W/runc" list
	[ "$status" -eq 0 ]
	[[ "$output" == ID* ]]
	run "$IMPRINT" runtime --help
	[[ "$output" == *"runc wrapper"* ]]
}
