#!/usr/bin/env bats
# imprint diff: each single change between two images is reported as exactly that change.

load ../lib/common

setup_file() {
	images busybox special variants
}

setup() {
	T=$BATS_TEST_TMPDIR
	V=$IMAGES/variants
}

# diff_json A B: run `imprint diff --json A B`; $status as run sets it, $got the output compacted.
diff_json() {
	run "$IMPRINT" diff --json "$1" "$2"
	got=$(echo "$output" | jq -c . 2>/dev/null || echo "$output")
}

# expect_change VARIANT JSON: base vs VARIANT exits 1 and prints exactly JSON.
expect_change() {
	diff_json "oci:$V:base" "oci:$V:$1"
	assert_status 1
	assert_eq "base vs $1" "$2" "$got"
}

@test "diff: one byte of /bin/busybox changed (same size) -> content" {
	expect_change content '{"equal":false,"added":[],"removed":[],"changed":[{"path":"/bin/busybox","fields":["content"]}]}'
}

@test "diff: chmod u+s -> mode" {
	expect_change mode '{"equal":false,"added":[],"removed":[],"changed":[{"path":"/bin/busybox","fields":["mode"]}]}'
}

@test "diff: chown 1000:1000 -> owner" {
	expect_change owner '{"equal":false,"added":[],"removed":[],"changed":[{"path":"/etc/passwd","fields":["owner"]}]}'
}

@test "diff: symlink retargeted -> target" {
	expect_change target '{"equal":false,"added":[],"removed":[],"changed":[{"path":"/bin/sh","fields":["target"]}]}'
}

@test "diff: file added -> added" {
	expect_change added '{"equal":false,"added":["/etc/added.txt"],"removed":[],"changed":[]}'
}

@test "diff: file removed (whiteout) -> removed" {
	expect_change removed '{"equal":false,"added":[],"removed":["/bin/wget"],"changed":[]}'
}

@test "diff: security.capability added -> xattrs" {
	expect_change xattr '{"equal":false,"added":[],"removed":[],"changed":[{"path":"/bin/busybox","fields":["xattrs"]}]}'
}

@test "diff: swapping A and B swaps added and removed" {
	diff_json "oci:$V:removed" "oci:$V:base"
	assert_status 1
	assert_eq "removed vs base" '{"equal":false,"added":["/bin/wget"],"removed":[],"changed":[]}' "$got"
}

@test "diff: an image against itself is equal (exit 0), for every variant" {
	local r
	for r in base content mode owner target added removed xattr; do
		diff_json "oci:$V:$r" "oci:$V:$r"
		assert_status 0
		assert_eq "$r vs $r" '{"equal":true,"added":[],"removed":[],"changed":[]}' "$got"
	done
	run "$IMPRINT" diff "oci:$V:base" "oci:$V:base"
	assert_status 0
	assert_eq "no output when equal" "" "$output"
}

@test "diff: text output, one line per difference" {
	run "$IMPRINT" diff "oci:$V:base" "oci:$V:content"
	assert_status 1
	assert_eq line "~ /bin/busybox  content" "$output"
	run "$IMPRINT" diff "oci:$V:base" "oci:$V:added"
	assert_status 1
	assert_eq line "+ /etc/added.txt" "$output"
	run "$IMPRINT" diff "oci:$V:base" "oci:$V:removed"
	assert_status 1
	assert_eq line "- /bin/wget" "$output"
}

@test "diff: a fingerprint file against a source, both ways" {
	run "$IMPRINT" fingerprint -o "$T/base.json" "oci:$V:base"
	assert_status 0
	diff_json "$T/base.json" "oci:$V:mode"
	assert_status 1
	assert_eq "file vs mode" '{"equal":false,"added":[],"removed":[],"changed":[{"path":"/bin/busybox","fields":["mode"]}]}' "$got"
	diff_json "oci:$V:added" "$T/base.json"
	assert_status 1
	assert_eq "added vs file" '{"equal":false,"added":[],"removed":["/etc/added.txt"],"changed":[]}' "$got"
	diff_json "$T/base.json" "oci:$V:base"
	assert_status 0
	run "$IMPRINT" fingerprint -o "$T/owner.json" "oci:$V:owner"
	assert_status 0
	diff_json "$T/base.json" "$T/owner.json"
	assert_status 1
	assert_eq "file vs file" '{"equal":false,"added":[],"removed":[],"changed":[{"path":"/etc/passwd","fields":["owner"]}]}' "$got"
}

@test "diff: the same image through different transports is equal" {
	run "$IMPRINT" diff --storage-root "$IMAGES/storage" "oci:$IMAGES/special:latest" \
		"containers-storage:localhost/special:latest"
	assert_status 0
	run "$IMPRINT" diff "docker-archive:$IMAGES/special.docker.tar" "dir:$(unpacked special)"
	assert_status 0
	run "$IMPRINT" diff "oci:$IMAGES/busybox:latest" "oci-archive:$IMAGES/busybox.oci.tar"
	assert_status 0
}

@test "diff: busybox vs special lists what special adds and changes" {
	diff_json "oci:$IMAGES/busybox:latest" "oci:$IMAGES/special:latest"
	assert_status 1
	echo "$got" | jq -e '.added | index("/usr/bin/suidbox")' >/dev/null || fail "suidbox not added: $got"
	echo "$got" | jq -e '.added | index("/opt/old/new.txt")' >/dev/null || fail "new.txt not added: $got"
	echo "$got" | jq -e '.changed[] | select(.path == "/etc/passwd") | .fields | index("content")' >/dev/null ||
		fail "/etc/passwd content change missing: $got"
	assert_eq removed '[]' "$(echo "$got" | jq -c .removed)"
}

# Changes that need a crafted tree: type, device, size. dir: sources, made here.
@test "diff: dir: sources, type, device and size changes" {
	skip_unless_root
	mkdir -p "$T/a/etc" "$T/b/etc"
	echo hello >"$T/a/etc/f"
	echo "hello, longer" >"$T/b/etc/f"
	echo x >"$T/a/etc/t"
	ln -s f "$T/b/etc/t"
	mknod "$T/a/etc/dev" c 1 3
	mknod "$T/b/etc/dev" c 1 5
	diff_json "dir:$T/a" "dir:$T/b"
	assert_status 1
	assert_eq "changed paths" '["/etc/dev","/etc/f","/etc/t"]' "$(echo "$got" | jq -c '[.changed[].path]')"
	assert_eq "device" '["device"]' "$(echo "$got" | jq -c '.changed[] | select(.path == "/etc/dev") | .fields')"
	echo "$got" | jq -e '.changed[] | select(.path == "/etc/f") | .fields | index("content") and index("size")' \
		>/dev/null || fail "content and size expected for /etc/f: $got"
	echo "$got" | jq -e '.changed[] | select(.path == "/etc/t") | .fields | index("type")' \
		>/dev/null || fail "type expected for /etc/t: $got"
}

@test "diff: errors are exit 2, not 1" {
	run "$IMPRINT" diff "oci:$V:base"
	assert_status 2
	run "$IMPRINT" diff "oci:$V:base" "oci:$V:no-such-ref"
	assert_error diff
	run "$IMPRINT" diff "oci:$V:base" "$T/missing.json"
	assert_error diff
}
