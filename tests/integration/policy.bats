#!/usr/bin/env bats
# Keys, policies and their DSSE signatures, checked against an independent implementation
# (tests/lib/dsse.py, python3-cryptography).

load ../lib/common

setup_file() {
	images busybox special
}

setup() {
	W=$BATS_TEST_TMPDIR
	cd "$W"
	PY=/usr/bin/python3
	need "python3-cryptography is not installed" $PY -c 'import cryptography'
}

new_policy() {
	"$IMPRINT" keygen --out dev >/dev/null
	"$IMPRINT" policy init base.json --name base "$@" >/dev/null
	"$IMPRINT" policy add base.json "oci:$IMAGES/busybox:latest" --image-name localhost/busybox >/dev/null
}

@test "keygen: 0600 private key, public key, key id = sha256 of the DER public key" {
	run "$IMPRINT" keygen --out dev --json
	[ "$status" -eq 0 ]
	[ "$(stat -c %a dev.key)" = 600 ]
	[ "$(stat -c %a dev.pub)" = 644 ]
	id=$(echo "$output" | jq -r .keyid)
	[ "$id" = "$(openssl pkey -pubin -in dev.pub -outform DER | sha256sum | cut -d' ' -f1)" ]
	[ "$id" = "$($PY "$LIB/dsse.py" keyid dev.pub)" ]
	openssl pkey -in dev.key -noout -text | grep -q ED25519
}

@test "keygen: refuses to overwrite either file" {
	"$IMPRINT" keygen --out dev >/dev/null
	before=$(sha256sum dev.key dev.pub)
	run "$IMPRINT" keygen --out dev
	[ "$status" -eq 2 ]
	[[ "$output" == *"exists already"* ]]
	[ "$(sha256sum dev.key dev.pub)" = "$before" ]
	rm dev.pub
	run "$IMPRINT" keygen --out dev
	[ "$status" -eq 2 ]
}

@test "policy add pins the image's digests and content as inspect and fingerprint see them" {
	new_policy
	want=$("$IMPRINT" inspect --json "oci:$IMAGES/busybox:latest")
	fp=$("$IMPRINT" fingerprint "oci:$IMAGES/busybox:latest" --json -o fp.json)
	entry=$(jq '.images[0]' base.json)
	[ "$(jq -r .manifestDigest <<<"$entry")" = "$(jq -r .manifestDigest <<<"$want")" ]
	[ "$(jq -r .configDigest <<<"$entry")" = "$(jq -r .configDigest <<<"$want")" ]
	[ "$(jq -r .rootDigest <<<"$entry")" = "$(jq -r .rootDigest <<<"$fp")" ]
	[ "$(jq -r '.layers[0].tableDigest' <<<"$entry")" = "$(jq -r '.image.layers[0].tableDigest' fp.json)" ]
	[ "$(jq -r .mode <<<"$entry")" = enforce ]
	[ "$(jq -r .serial base.json)" = 2 ]
}

@test "policy add --enforcement: modes and flags as written; an unknown one is refused and the file unchanged" {
	new_policy
	"$IMPRINT" policy add base.json "oci:$IMAGES/busybox:latest" \
		--enforcement exec=enforce,network=monitor,tree-aware,raw-sockets,loader-as-program \
		>/dev/null
	[ "$(jq -c '.images[0].enforcement' base.json)" = \
		'{"exec":"enforce","network":"monitor","treeAware":true,"rawSockets":true,"loaderAsProgram":true}' ] ||
		fail "$(jq -c '.images[0].enforcement' base.json)"
	"$IMPRINT" policy sign base.json --key dev.key -o base.dsse >/dev/null
	# a signed policy with them is valid
	run "$IMPRINT" policy verify base.dsse --key dev.pub
	[ "$status" -eq 0 ] || fail "$output"
	cp base.json before.json
	run "$IMPRINT" policy add base.json "oci:$IMAGES/busybox:latest" --enforcement exec=enforce,raw
	[ "$status" -eq 2 ]
	[[ "$output" == *"raw-sockets"* ]] || fail "$output"
	cmp base.json before.json
}

@test "policy add/remove/revoke each raise the serial; add replaces the same image" {
	new_policy
	"$IMPRINT" policy add base.json "oci:$IMAGES/busybox:latest" --mode monitor >/dev/null
	[ "$(jq '.images | length' base.json)" = 1 ]
	[ "$(jq -r '.images[0].mode' base.json)" = monitor ]
	"$IMPRINT" policy add base.json "oci:$IMAGES/special:latest" >/dev/null
	[ "$(jq '.images | length' base.json)" = 2 ]
	cfg=$(jq -r '.images[0].configDigest' base.json)
	"$IMPRINT" policy remove base.json "$cfg" >/dev/null
	[ "$(jq '.images | length' base.json)" = 1 ]
	"$IMPRINT" policy revoke base.json "$cfg" --reason CVE-2026-0001 >/dev/null
	[ "$(jq -r '.revocations[0].digest' base.json)" = "$cfg" ]
	[ "$(jq -r .serial base.json)" = 6 ]
	run "$IMPRINT" policy remove base.json "$cfg"
	[ "$status" -eq 2 ]
	run "$IMPRINT" policy revoke base.json not-a-digest
	[ "$status" -eq 2 ]
	run "$IMPRINT" policy add base.json "dir:$W"
	[ "$status" -eq 2 ]
}

@test "policy sign: the envelope verifies with an independent DSSE implementation" {
	new_policy
	"$IMPRINT" policy sign base.json --key dev.key >/dev/null
	[ "$(jq -r .payloadType base.json.dsse)" = application/vnd.imprint.policy.v1+json ]
	run $PY "$LIB/dsse.py" verify base.json.dsse dev.pub
	[ "$status" -eq 0 ]
	# the payload is the policy itself
	jq -r .payload base.json.dsse | base64 -d | jq -S . >payload.json
	jq -S . base.json >policy.json
	cmp payload.json policy.json
	"$IMPRINT" keygen --out other >/dev/null
	run $PY "$LIB/dsse.py" verify base.json.dsse other.pub
	[ "$status" -eq 1 ]
}

@test "policy verify: accepts an envelope signed by the independent implementation" {
	new_policy
	$PY "$LIB/dsse.py" sign base.json application/vnd.imprint.policy.v1+json dev.key >py.dsse
	run "$IMPRINT" policy verify py.dsse --key dev.pub --json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .valid)" = true ]
	[ "$(echo "$output" | jq -r .serial)" = 2 ]
	# the wrong payload type is refused
	$PY "$LIB/dsse.py" sign base.json application/json dev.key >wrongtype.dsse
	run "$IMPRINT" policy verify wrongtype.dsse --key dev.pub
	[ "$status" -eq 2 ]
}

@test "policy verify: untrusted key, edited payload, flipped signature are invalid (exit 1)" {
	new_policy
	"$IMPRINT" policy sign base.json --key dev.key >/dev/null
	run "$IMPRINT" policy verify base.json.dsse --key dev.pub
	[ "$status" -eq 0 ]
	"$IMPRINT" keygen --out other >/dev/null
	run "$IMPRINT" policy verify base.json.dsse --key other.pub
	[ "$status" -eq 1 ]
	[[ "$output" == *"no valid signature by a trusted key"* ]]
	# a trusted key among several is enough
	run "$IMPRINT" policy verify base.json.dsse --key other.pub --key dev.pub
	[ "$status" -eq 0 ]
	# an attacker raises the serial in the payload and keeps the signature
	jq --arg p "$(jq -r .payload base.json.dsse | base64 -d | jq -c '.serial = 99' | base64 -w0)" \
		'.payload = $p' base.json.dsse >edited.dsse
	run "$IMPRINT" policy verify edited.dsse --key dev.pub
	[ "$status" -eq 1 ]
	# one flipped bit in the signature
	$PY - base.json.dsse flipped.dsse <<-'PY'
		import base64, json, sys
		env = json.load(open(sys.argv[1]))
		sig = bytearray(base64.b64decode(env["signatures"][0]["sig"]))
		sig[10] ^= 1
		env["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
		json.dump(env, open(sys.argv[2], "w"))
	PY
	run "$IMPRINT" policy verify flipped.dsse --key dev.pub
	[ "$status" -eq 1 ]
}

@test "policy verify: an expired policy is refused, a future expiry accepted" {
	new_policy --expires 2001-01-01T00:00:00Z
	"$IMPRINT" policy sign base.json --key dev.key >/dev/null
	run "$IMPRINT" policy verify base.json.dsse --key dev.pub
	[ "$status" -eq 1 ]
	[[ "$output" == *"expired at 2001-01-01T00:00:00Z"* ]]
	rm -f base.json base.json.dsse dev.key dev.pub
	new_policy --expires 2999-01-01T00:00:00Z
	"$IMPRINT" policy sign base.json --key dev.key >/dev/null
	run "$IMPRINT" policy verify base.json.dsse --key dev.pub
	[ "$status" -eq 0 ]
}

@test "policy: malformed input gets exit 2 and one line" {
	"$IMPRINT" keygen --out dev >/dev/null
	echo '{"payloadType": "application/vnd.imprint.policy.v1+json"' >broken.dsse
	run "$IMPRINT" policy verify broken.dsse --key dev.pub
	[ "$status" -eq 2 ]
	echo '{}' >empty.json
	run "$IMPRINT" policy list empty.json
	[ "$status" -eq 2 ]
	run "$IMPRINT" policy init p.json --name 'bad name!'
	[ "$status" -eq 2 ]
	run "$IMPRINT" policy init p.json --name ok --expires tomorrow
	[ "$status" -eq 2 ]
	run "$IMPRINT" policy verify broken.dsse --key empty.json
	[ "$status" -eq 2 ]
	# a policy signed with a public key is impossible
	"$IMPRINT" policy init p.json --name ok >/dev/null
	run "$IMPRINT" policy sign p.json --key dev.pub
	[ "$status" -eq 2 ]
}

@test "DSSE test vector (docs/policy.md) verifies with imprint and with python3-cryptography" {
	vec=$TOP/tests/data/dsse
	run "$IMPRINT" policy verify "$vec/example.dsse" --key "$vec/example.pub"
	[ "$status" -eq 0 ]
	run $PY "$LIB/dsse.py" verify "$vec/example.dsse" "$vec/example.pub"
	[ "$status" -eq 0 ]
}
