#!/usr/bin/env bats
# The host store (policy.d, keys, anti-rollback state) and `imprint verify` against real images:
# merge rules, rejected files named, rollback refused, tampered stored images refused with the
# changed file named.

load ../lib/common

setup_file() {
	images busybox special
}

setup() {
	W=$BATS_TEST_TMPDIR
	cd "$W"
	mkdir -p keys policy.d state fps
	export IMPRINT_POLICY_DIR=$W/policy.d IMPRINT_KEYS_DIR=$W/keys IMPRINT_STATE_DIR=$W/state
	export IMPRINT_FINGERPRINT_DIR=$W/fps
	"$IMPRINT" keygen --out signer >/dev/null
	cp signer.pub keys/
	BUSYBOX=oci:$IMAGES/busybox:latest
	SPECIAL=oci:$IMAGES/special:latest
}

# policy NAME [init options]: an unsigned policy NAME.json
policy() {
	local name=$1
	shift
	"$IMPRINT" policy init "$name.json" --name "$name" "$@" >/dev/null
}

# install NAME [FILE]: sign NAME.json into policy.d/FILE (default NAME.dsse)
install() {
	"$IMPRINT" policy sign "$1.json" --key signer.key -o "policy.d/${2:-$1.dsse}" >/dev/null
}

verdict() {
	"$IMPRINT" verify --json "$@" | jq -r .verdict
}

@test "verify: an image the base policy pins is allowed; another is refused (exit 0/1)" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base
	run "$IMPRINT" verify "$BUSYBOX"
	[ "$status" -eq 0 ] || fail "$output"
	[[ "$output" == *"allowed"*"by policy base"* ]]
	run --separate-stderr "$IMPRINT" verify "$SPECIAL"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"no policy allows image sha256:"* ]]
	run "$IMPRINT" verify --json "$SPECIAL"
	[ "$status" -eq 1 ]
	[ "$(jq -r '.reasons[0].code' <<<"$output")" = unknown-image ]
	[ "$(jq -r .digests.config <<<"$output")" = "$("$IMPRINT" inspect --json "$SPECIAL" | jq -r .configDigest)" ]
}

@test "verify: the same verdict through containers-storage (per-layer tables match tar layers)" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	"$IMPRINT" policy add base.json "$SPECIAL" >/dev/null
	install base
	for n in busybox special; do
		run "$IMPRINT" verify --json --storage-root "$IMAGES/storage" "containers-storage:localhost/$n:latest"
		[ "$status" -eq 0 ] || fail "$n: $output"
		[ "$(jq -r .verdict <<<"$output")" = allowed ]
	done
}

@test "merge: an additional policy adds an image without editing the base" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base
	[ "$(verdict "$SPECIAL")" = refused ]
	policy update
	"$IMPRINT" policy add update.json "$SPECIAL" >/dev/null
	install update
	[ "$(verdict "$SPECIAL")" = allowed ]
	[ "$(verdict "$BUSYBOX")" = allowed ]
}

@test "merge: a revocation in any policy wins over an allow in another" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base
	policy revoke
	config=$("$IMPRINT" inspect --json "$BUSYBOX" | jq -r .configDigest)
	"$IMPRINT" policy revoke revoke.json "$config" --reason CVE-2026-0001 >/dev/null
	install revoke
	run "$IMPRINT" verify --json "$BUSYBOX"
	[ "$status" -eq 1 ]
	[ "$(jq -r '.reasons[0].code' <<<"$output")" = revoked ]
	[[ "$(jq -r '.reasons[0].message' <<<"$output")" == *"revoked by policy 'revoke': CVE-2026-0001"* ]]
}

@test "merge: a revoked root digest is refused too" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	root=$(jq -r '.images[0].rootDigest' base.json)
	"$IMPRINT" policy revoke base.json "$root" >/dev/null
	install base
	[ "$(verdict "$BUSYBOX")" = refused ]
}

@test "merge: defaultAction deny wins; allow-only policies let unknown images through" {
	policy open --default allow
	install open
	[ "$(verdict "$SPECIAL")" = allowed ]
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base
	[ "$(verdict "$SPECIAL")" = refused ]
}

@test "store: an unsigned, wrongly signed, expired or malformed policy file is rejected and named" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base
	[ "$(verdict "$BUSYBOX")" = allowed ]

	cp base.json policy.d/unsigned.json
	run "$IMPRINT" verify --json "$BUSYBOX"
	[ "$status" -eq 1 ]
	[[ "$(jq -r '.reasons[0].message' <<<"$output")" == *"unsigned.json rejected: not a signed policy"* ]]
	rm policy.d/unsigned.json

	"$IMPRINT" keygen --out other >/dev/null
	"$IMPRINT" policy sign base.json --key other.key -o policy.d/other.dsse >/dev/null
	run "$IMPRINT" verify --json "$BUSYBOX"
	[ "$status" -eq 1 ]
	[[ "$(jq -r '.reasons[0].message' <<<"$output")" == *"other.dsse rejected"* ]]
	rm policy.d/other.dsse

	policy old --expires 2020-01-01T00:00:00Z
	install old
	run "$IMPRINT" verify --json "$BUSYBOX"
	[ "$status" -eq 1 ]
	[[ "$(jq -r '.reasons[0].message' <<<"$output")" == *"old.dsse rejected"*"expired"* ]]
	rm policy.d/old.dsse

	echo '{"payloadType":' >policy.d/broken.dsse
	run "$IMPRINT" verify --json "$BUSYBOX"
	[ "$status" -eq 1 ]
	[[ "$(jq -r '.reasons[0].message' <<<"$output")" == *"broken.dsse rejected"* ]]
	rm policy.d/broken.dsse

	# a payload altered after signing
	jq -c '.payload |= (@base64d | fromjson | .defaultAction = "allow" | tojson | @base64)' \
		policy.d/base.dsse >policy.d/zz-altered.dsse
	run "$IMPRINT" verify --json "$SPECIAL"
	[ "$status" -eq 1 ]
	[[ "$(jq -r '[.reasons[].message] | join(" ")' <<<"$output")" == *"zz-altered.dsse rejected"* ]]
}

@test "store: no policy at all, or no trusted key, refuses (fail closed)" {
	run "$IMPRINT" verify --json "$BUSYBOX"
	[ "$status" -eq 1 ]
	[ "$(jq -r '.reasons[0].code' <<<"$output")" = policy-store ]
	rm keys/signer.pub
	run "$IMPRINT" verify "$BUSYBOX"
	[ "$status" -eq 2 ]
	[[ "$output" == *"no trusted key"* ]]
	run "$IMPRINT" verify --policy-dir "$W/nonexistent" --keys-dir "$W" "$BUSYBOX"
	[ "$status" -eq 2 ]
}

@test "anti-rollback: a lower serial is refused once a higher one was accepted, even if validly signed" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base
	cp policy.d/base.dsse base-v2.dsse
	"$IMPRINT" policy revoke base.json "$(jq -r '.images[0].configDigest' base.json)" >/dev/null
	install base
	[ "$(verdict "$BUSYBOX")" = refused ]
	[ "$(jq -r .base state/policy-serials.json)" = 3 ]
	# the attacker puts back the older, validly signed policy that still allowed busybox
	cp base-v2.dsse policy.d/base.dsse
	run "$IMPRINT" verify --json "$BUSYBOX"
	[ "$status" -eq 1 ]
	[[ "$(jq -r '.reasons[0].message' <<<"$output")" == *"rollback: policy 'base' serial 2 is lower than serial 3"* ]]
	[ "$(jq -r .base state/policy-serials.json)" = 3 ]
}

@test "anti-rollback: a newer file beside an older one of the same name supersedes it" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base base-2.dsse
	"$IMPRINT" policy add base.json "$SPECIAL" >/dev/null
	install base base-3.dsse
	[ "$(verdict "$SPECIAL")" = allowed ]
	[ "$(jq -r .base state/policy-serials.json)" = 3 ]
}

@test "verify: a tampered stored image is refused and the changed file named" {
	skip_unless podman
	local st=$W/storage
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base
	"$IMPRINT" fingerprint "$BUSYBOX" -o "fps/$(jq -r '.images[0].rootDigest' base.json | cut -d: -f2).json"
	podman --root "$st" --runroot "$W/run" --storage-driver overlay pull -q "$BUSYBOX" >/dev/null
	src=containers-storage:$(podman --root "$st" --runroot "$W/run" --storage-driver overlay images -q --no-trunc | head -1)
	[ "$(verdict --storage-root "$st" "$src")" = allowed ]
	layer=$(jq -r '.[0].layer' "$st/overlay-images/images.json")
	echo 'evil::0:0::/:/bin/sh' >>"$st/overlay/$layer/diff/etc/passwd"
	chmod u+s "$st/overlay/$layer/diff/bin/busybox"
	run --separate-stderr "$IMPRINT" verify --storage-root "$st" "$src"
	[ "$status" -eq 1 ]
	[[ "$stderr" == *"refused"*"/bin/busybox: mode changed"* ]] || fail "$stderr"
	run "$IMPRINT" verify --json --storage-root "$st" "$src"
	[ "$(jq -r '[.reasons[] | select(.code == "file") | .path] | join(" ")' <<<"$output")" = "/bin/busybox /etc/passwd" ]
	[ "$(jq -r '.reasons[0].code' <<<"$output")" = layers ]
	# without the fingerprint file the layer is still refused, just not file by file
	rm fps/*.json
	run "$IMPRINT" verify --json --storage-root "$st" "$src"
	[ "$status" -eq 1 ]
	[ "$(jq -r '[.reasons[].code] | join(" ")' <<<"$output")" = "layers content" ]
	# an entry in monitor mode lets the changed image through, and says what it would refuse
	"$IMPRINT" policy add base.json "$BUSYBOX" --mode monitor >/dev/null
	install base
	run "$IMPRINT" verify --json --storage-root "$st" "$src"
	[ "$status" -eq 0 ]
	[ "$(jq -r '.verdict, .allowed, .mode' <<<"$output" | tr '\n' ' ')" = "refused true monitor " ]
	podman --root "$st" --runroot "$W/run" --storage-driver overlay rmi -af >/dev/null 2>&1 || true
	unmount_below "$W"
}

@test "verify: an edited stored manifest or config is refused (integrity)" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base
	cp -a "$IMAGES/busybox" layout
	cfg=$(jq -r .manifests[0].digest layout/index.json | cut -d: -f2)
	cfg=$(jq -r .config.digest "layout/blobs/sha256/$cfg" | cut -d: -f2)
	chmod u+w "layout/blobs/sha256/$cfg"
	sed -i 's/"User":"[^"]*"/"User":"0"/; s/"Cmd"/"Cmd" /' "layout/blobs/sha256/$cfg"
	run "$IMPRINT" verify --json "oci:$W/layout:latest"
	[ "$status" -eq 1 ]
	[ "$(jq -r '.reasons[0].code' <<<"$output")" = integrity ]
}

@test "verify --mode monitor: a refusal is reported, the exit is 0" {
	policy base
	install base
	run --separate-stderr "$IMPRINT" verify --mode monitor "$BUSYBOX"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"would refuse (monitor)"* ]]
	run "$IMPRINT" verify --mode monitor --json "$BUSYBOX"
	[ "$(jq -r '.verdict, .allowed, .mode' <<<"$output" | tr '\n' ' ')" = "refused true monitor " ]
}

@test "verify --audit-log: one JSON line per decision" {
	policy base
	"$IMPRINT" policy add base.json "$BUSYBOX" >/dev/null
	install base
	"$IMPRINT" verify --audit-log "$W/log/audit.jsonl" "$BUSYBOX" >/dev/null
	"$IMPRINT" verify --audit-log "$W/log/audit.jsonl" "$SPECIAL" 2>/dev/null || true
	[ "$(wc -l <log/audit.jsonl)" = 2 ]
	[ "$(jq -r .verdict log/audit.jsonl | tr '\n' ' ')" = "allowed refused " ]
	[ "$(jq -r .event log/audit.jsonl | sort -u)" = verify ]
	[ "$(stat -c %a log/audit.jsonl)" = 600 ]
}

@test "verify: usage errors exit 2" {
	run "$IMPRINT" verify
	[ "$status" -eq 2 ]
	run "$IMPRINT" verify --mode sometimes "$BUSYBOX"
	[ "$status" -eq 2 ]
	run "$IMPRINT" verify --help
	[ "$status" -eq 0 ]
	[[ "$output" == *"Exit codes"* ]]
}
