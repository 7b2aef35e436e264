#!/usr/bin/env bats
# imprint fingerprint: one content fingerprint whatever the image is read from, equal to what
# mtree sees in the rootfs umoci unpacks, canonical (formats.md), deterministic, tamper-evident.

load ../lib/common

setup_file() {
	images busybox special debian
}

setup() {
	T=$BATS_TEST_TMPDIR
}

teardown() {
	unmount_below "$T"
}

# fp OUT SOURCE [OPTIONS...]: fingerprint SOURCE into OUT; checks the --json summary.
fp() {
	local out=$1 src=$2
	shift 2
	run "$IMPRINT" fingerprint --json -o "$out" "$@" "$src"
	assert_status 0
	[ -s "$out" ] || fail "$src: no fingerprint file written"
	assert_eq "$src summary rootDigest" "$(jq -r .rootDigest "$out")" "$(echo "$output" | jq -r .rootDigest)"
	assert_eq "$src summary entries" "$(jq '.entries | length' "$out")" "$(echo "$output" | jq -r .entries)"
	assert_eq "$src summary output" "$out" "$(echo "$output" | jq -r .output)"
}

# same_everywhere NAME: oci:, oci-archive:, docker-archive:, containers-storage: and dir: (umoci
# unpack) give the same root digest and the same entries.
same_everywhere() {
	local n=$1 root want src i=0
	root=$(unpacked "$n")
	fp "$T/oci.json" "oci:$IMAGES/$n:latest"
	want=$(jq -r .rootDigest "$T/oci.json")
	jq -c .entries "$T/oci.json" >"$T/oci.entries"
	[ "$(wc -c <"$T/oci.entries")" -gt 1000 ] || fail "suspiciously small table"
	for src in "oci-archive:$IMAGES/$n.oci.tar" "docker-archive:$IMAGES/$n.docker.tar" \
		"containers-storage:localhost/$n:latest" "dir:$root"; do
		i=$((i + 1))
		fp "$T/$i.json" "$src" --storage-root "$IMAGES/storage"
		jq -c .entries "$T/$i.json" >"$T/$i.entries"
		if ! cmp -s "$T/oci.entries" "$T/$i.entries"; then
			diff <(jq -c '.[]' "$T/oci.entries") <(jq -c '.[]' "$T/$i.entries") | head -20 >&2 || true
			fail "$src: entries differ from oci: (< oci, > $src)"
		fi
		assert_eq "$src rootDigest" "$want" "$(jq -r .rootDigest "$T/$i.json")"
	done
	# the image part of the file names the image it came from
	assert_eq "image.manifestDigest" "$(jq -r '.manifests[0].digest' "$IMAGES/$n/index.json")" \
		"$(jq -r .image.manifestDigest "$T/oci.json")"
	assert_eq "image.layers[].diffID" "$(skopeo inspect --config --raw "oci:$IMAGES/$n:latest" | jq -c .rootfs.diff_ids)" \
		"$(jq -c '[.image.layers[].diffID]' "$T/oci.json")"
	assert_eq "dir: has no image digests" "null null" \
		"$(jq -r '[.image.manifestDigest, .image.configDigest] | map(tostring) | join(" ")' "$T/4.json")"
}

@test "fingerprint busybox: same through oci, oci-archive, docker-archive, containers-storage, dir" {
	same_everywhere busybox
}

@test "fingerprint special: same through oci, oci-archive, docker-archive, containers-storage, dir" {
	same_everywhere special
}

@test "fingerprint debian: same through oci, oci-archive, docker-archive, containers-storage, dir" {
	same_everywhere debian
	[ "$(jq '.entries | length' "$T/oci.json")" -gt 3000 ] || fail "debian: fewer than 3000 entries"
}

@test "fingerprint: zstd, gzip and uncompressed layers give the same fingerprint" {
	fp "$T/gz.json" "oci:$IMAGES/busybox:latest"
	fp "$T/zstd.json" "oci:$IMAGES/busybox-zstd:latest"
	fp "$T/plain.json" "oci:$IMAGES/busybox-plain:latest"
	assert_eq zstd "$(jq -r .rootDigest "$T/gz.json")" "$(jq -r .rootDigest "$T/zstd.json")"
	assert_eq plain "$(jq -r .rootDigest "$T/gz.json")" "$(jq -r .rootDigest "$T/plain.json")"
}

@test "fingerprint: a layer implying a lower layer's directory: tar and podman's layer dirs agree" {
	# layer 1 has /root 0700 and /srv 0750 1000:1000; layer 2 has root/.profile and srv/data but
	# no root/ or srv/ entries. containers-storage creates those parents in layer 2's diff dir as
	# 0755 0:0, so that is what a podman container sees; the fingerprint must be the same from the
	# layer tarballs and from the stored layer directories either way.
	skip_unless podman
	python3 - "$T" <<-'PY'
		import io, sys, tarfile
		def mk(path, entries):
		    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
		        for name, kind, mode, uid in entries:
		            i = tarfile.TarInfo(name)
		            i.type, i.mode, i.uid, i.gid, i.mtime = kind, mode, uid, uid, 1700000000
		            data = b"x\n" if kind == tarfile.REGTYPE else None
		            i.size = len(data) if data else 0
		            t.addfile(i, io.BytesIO(data) if data else None)
		mk(sys.argv[1] + "/l1.tar", [("root/", tarfile.DIRTYPE, 0o700, 0), ("srv/", tarfile.DIRTYPE, 0o750, 1000)])
		mk(sys.argv[1] + "/l2.tar", [("root/.profile", tarfile.REGTYPE, 0o644, 0), ("srv/data", tarfile.REGTYPE, 0o644, 0)])
	PY
	python3 "$LIB/ocitool.py" layout "$T/implied" "$T/l1.tar" "$T/l2.tar"
	# a store of its own (podman would name the image after the upper-case tmp path: use skopeo)
	skopeo copy -q "oci:$T/implied:latest" \
		"containers-storage:[overlay@$T/st+$T/run]localhost/implied:latest"
	fp "$T/oci.json" "oci:$T/implied:latest"
	fp "$T/cs.json" containers-storage:localhost/implied:latest --storage-root "$T/st"
	if ! cmp -s <(jq -c .entries "$T/oci.json") <(jq -c .entries "$T/cs.json"); then
		diff <(jq -c '.entries[]' "$T/oci.json") <(jq -c '.entries[]' "$T/cs.json") >&2 || true
		fail "oci: and containers-storage: differ (< oci, > containers-storage)"
	fi
}

# against_mtree NAME: the table equals mtree's view of the umoci-unpacked rootfs.
against_mtree() {
	local n=$1 root
	skip_unless mtree
	root=$(unpacked "$n")
	fp "$T/fp.json" "oci:$IMAGES/$n:latest"
	mtree -c -k sha256digest,mode,uid,gid,type,link,size,device -p "$root" >"$T/spec"
	mtree -C -k sha256digest,mode,uid,gid,type,link,size,device -f "$T/spec" >"$T/spec.full"
	run python3 "$LIB/fpcheck.py" mtree "$T/fp.json" "$T/spec.full"
	[ "$status" -eq 0 ] || fail "imprint's table and mtree differ:" "$output"
}

@test "fingerprint busybox: the table equals mtree on the umoci-unpacked rootfs" {
	against_mtree busybox
}

@test "fingerprint special: the table equals mtree on the umoci-unpacked rootfs" {
	against_mtree special
}

@test "fingerprint debian: the table equals mtree on the umoci-unpacked rootfs" {
	against_mtree debian
}

@test "fingerprint: rootDigest and layer table digests follow the canonical form of formats.md" {
	local n
	for n in special debian; do
		fp "$T/$n.json" "oci:$IMAGES/$n:latest" --with-layers
		run python3 "$LIB/fpcheck.py" digest "$T/$n.json"
		[ "$status" -eq 0 ] || fail "$n:" "$output"
		run python3 "$LIB/fpcheck.py" order "$T/$n.json"
		[ "$status" -eq 0 ] || fail "$n:" "$output"
		assert_eq "$n layer tableDigests" "$(jq -c '[.image.layers[].tableDigest]' "$T/$n.json")" \
			"$(jq -c '[.layers[].tableDigest]' "$T/$n.json")"
	done
	# component-wise order: /usr/share/doc/a, /usr/share/doc/a/b, then /usr/share/doc/a-b
	assert_eq order "/usr/share/doc/a /usr/share/doc/a/b /usr/share/doc/a-b" \
		"$(jq -r '[.entries[].path | select(test("^/usr/share/doc/a($|/|-)"))] | join(" ")' "$T/special.json")"
}

@test "fingerprint: running twice gives byte-identical files; stdout equals -o" {
	local n
	for n in special debian; do
		fp "$T/a.json" "oci:$IMAGES/$n:latest"
		fp "$T/b.json" "oci:$IMAGES/$n:latest"
		cmp "$T/a.json" "$T/b.json" || fail "$n: two runs differ"
	done
	"$IMPRINT" fingerprint "oci:$IMAGES/special:latest" >"$T/stdout.json"
	fp "$T/special.json" "oci:$IMAGES/special:latest"
	cmp "$T/stdout.json" "$T/special.json" || fail "stdout and -o differ"
	# the file format: key order, two-space indentation, final newline
	assert_eq "keys" '["apiVersion","kind","image","excludes","rootDigest","entries"]' \
		"$(jq -c keys_unsorted "$T/special.json")"
	assert_eq apiVersion imprint.dev/v1alpha1 "$(jq -r .apiVersion "$T/special.json")"
	assert_eq kind ImageFingerprint "$(jq -r .kind "$T/special.json")"
	[ "$(tail -c1 "$T/special.json" | od -An -c | tr -d ' ')" = '\n' ] || fail "no final newline"
	grep -q '^  "rootDigest": "sha256:' "$T/special.json" || fail "not two-space indented"
}

# entry FILE PATH: the entry for PATH, compact JSON ("" if none).
entry() {
	jq -c --arg p "$2" '.entries[] | select(.path == $p)' "$1"
}

@test "fingerprint special: setuid, setgid, sticky, owner, fifo, char device, symlinks" {
	fp "$T/fp.json" "oci:$IMAGES/special:latest"
	assert_eq suid 4755 "$(entry "$T/fp.json" /usr/bin/suidbox | jq -r .mode)"
	assert_eq sgid 2755 "$(entry "$T/fp.json" /usr/bin/sgidbox | jq -r .mode)"
	assert_eq sticky 1777 "$(entry "$T/fp.json" /var/sticky | jq -r .mode)"
	assert_eq tmp 1777 "$(entry "$T/fp.json" /tmp | jq -r .mode)"
	assert_eq "home/user" '"dir" "0700" 1000 1000' \
		"$(entry "$T/fp.json" /home/user | jq -r '[.type, .mode, .uid, .gid] | map(tojson) | join(" ")')"
	assert_eq "data.txt owner" "1000 1000" "$(entry "$T/fp.json" /home/user/data.txt | jq -r '"\(.uid) \(.gid)"')"
	assert_eq fifo '"fifo" "0600"' "$(entry "$T/fp.json" /var/fifo | jq -r '[.type, .mode] | map(tojson) | join(" ")')"
	assert_eq chardev '"char" 1 3' "$(entry "$T/fp.json" /usr/lib/null | jq -r '[.type, .major, .minor] | map(tojson) | join(" ")')"
	assert_eq rel-link '"symlink" "../share/doc/keep.txt"' \
		"$(entry "$T/fp.json" /usr/bin/rel-link | jq -r '[.type, .target] | map(tojson) | join(" ")')"
	assert_eq abs-link /bin/busybox "$(entry "$T/fp.json" /usr/bin/abs-link | jq -r .target)"
	assert_eq dangling /nonexistent/target "$(entry "$T/fp.json" /usr/bin/dangling | jq -r .target)"
	assert_eq "symlink has no sha256" null "$(entry "$T/fp.json" /usr/bin/abs-link | jq -r .sha256)"
	assert_eq "busybox sha256" "$(sha256 /bin/busybox)" "$(entry "$T/fp.json" /bin/busybox | jq -r .sha256)"
	assert_eq "busybox size" "$(stat -c %s /bin/busybox)" "$(entry "$T/fp.json" /bin/busybox | jq -r .size)"
	assert_eq "names with space, %, UTF-8" 3 \
		"$(jq '[.entries[].path | select(. == "/usr/share/doc/name with space" or . == "/usr/share/doc/100%.txt" or . == "/usr/share/doc/café")] | length' "$T/fp.json")"
}

@test "fingerprint special: security.capability is recorded as hex" {
	skip_unless getfattr
	local root want
	root=$(unpacked special)
	want=$(getfattr --absolute-names -n security.capability -e hex "$root/usr/bin/capbox" |
		sed -n 's/^security.capability=0x//p')
	[ -n "$want" ] || fail "umoci unpack lost the capability"
	fp "$T/fp.json" "oci:$IMAGES/special:latest"
	assert_eq capbox "$want" "$(entry "$T/fp.json" /usr/bin/capbox | jq -r '.xattrs["security.capability"]')"
	assert_eq "no xattrs elsewhere" 1 "$(jq '[.entries[] | select(.xattrs)] | length' "$T/fp.json")"
}

@test "fingerprint special: a hardlink is a file with its target's content" {
	fp "$T/fp.json" "oci:$IMAGES/special:latest"
	local a b
	a=$(entry "$T/fp.json" /usr/lib/hl/link)
	b=$(entry "$T/fp.json" /usr/lib/hl/orig)
	assert_eq "hardlink type" file "$(echo "$b" | jq -r .type)"
	assert_eq "hardlink content" "$(echo "$a" | jq -r .sha256)" "$(echo "$b" | jq -r .sha256)"
	assert_eq "hardlink size" 19 "$(echo "$b" | jq -r .size)"
	assert_eq "sha256 of 'hardlinked content'" "$(printf 'hardlinked content\n' | sha256sum | cut -d' ' -f1)" \
		"$(echo "$b" | jq -r .sha256)"
}

@test "fingerprint special: whiteouts and the opaque directory hide the lower layers" {
	fp "$T/fp.json" "oci:$IMAGES/special:latest"
	local p
	for p in /etc/motd /var/gone /var/gone/x /var/gone/deeper /var/gone/deeper/y /usr/bin/todelete \
		/opt/old/a.txt /opt/old/c.txt /opt/old/sub /opt/old/sub/b.txt /opt/old/l2.txt; do
		[ -z "$(entry "$T/fp.json" "$p")" ] || fail "$p is deleted in a later layer but is in the table"
	done
	assert_eq "/opt/old content" "/opt/old /opt/old/new.txt" \
		"$(jq -r '[.entries[].path | select(startswith("/opt/old"))] | join(" ")' "$T/fp.json")"
	assert_eq "no .wh. names" 0 "$(jq '[.entries[].path | select(contains(".wh."))] | length' "$T/fp.json")"
	# layer 4 rewrote /etc/passwd
	grep -q '^user:x:1000' "$(unpacked special)/etc/passwd"
	assert_eq passwd "$(sha256 "$(unpacked special)/etc/passwd")" "$(entry "$T/fp.json" /etc/passwd | jq -r .sha256)"
}

@test "fingerprint special --with-layers: per-layer tables with whiteouts and the opaque mark" {
	fp "$T/fp.json" "oci:$IMAGES/special:latest" --with-layers
	assert_eq layers 4 "$(jq '.layers | length' "$T/fp.json")"
	assert_eq "layer diffIDs" "$(jq -c '[.image.layers[].diffID]' "$T/fp.json")" "$(jq -c '[.layers[].diffID]' "$T/fp.json")"
	local p
	for p in /etc/motd /var/gone /opt/old/a.txt /opt/old/sub; do
		assert_eq "layer 2 whiteout $p" whiteout \
			"$(jq -r --arg p "$p" '.layers[1].entries[] | select(.path == $p) | .type' "$T/fp.json")"
	done
	assert_eq "layer 3 opaque /opt/old" true \
		"$(jq -r '.layers[2].entries[] | select(.path == "/opt/old") | .opaque' "$T/fp.json")"
	assert_eq "layer 4 whiteout" whiteout \
		"$(jq -r '.layers[3].entries[] | select(.path == "/usr/bin/todelete") | .type' "$T/fp.json")"
	assert_eq "no opaque in layer 2" 0 "$(jq '[.layers[1].entries[] | select(.opaque)] | length' "$T/fp.json")"
	# the merged table does not change with --with-layers
	fp "$T/plain.json" "oci:$IMAGES/special:latest"
	assert_eq rootDigest "$(jq -r .rootDigest "$T/plain.json")" "$(jq -r .rootDigest "$T/fp.json")"
}

@test "fingerprint: default exclusions, --exclude, --no-default-excludes" {
	fp "$T/default.json" "oci:$IMAGES/special:latest"
	assert_eq excludes "$DEFAULT_EXCLUDES" "$(jq -c .excludes "$T/default.json")"
	local p
	for p in /proc /proc/should-not-appear /etc/hostname /etc/hosts /dev /sys; do
		[ -z "$(entry "$T/default.json" "$p")" ] || fail "$p is excluded by default but is in the table"
	done
	fp "$T/all.json" "oci:$IMAGES/special:latest" --no-default-excludes
	assert_eq "no excludes" '[]' "$(jq -c .excludes "$T/all.json")"
	for p in /proc /proc/should-not-appear /etc/hostname /etc/hosts /dev /sys; do
		[ -n "$(entry "$T/all.json" "$p")" ] || fail "$p missing with --no-default-excludes"
	done
	[ "$(jq -r .rootDigest "$T/all.json")" != "$(jq -r .rootDigest "$T/default.json")" ] ||
		fail "exclusions do not change the root digest"
	fp "$T/more.json" "oci:$IMAGES/special:latest" --exclude /usr/share
	jq -e '.excludes | index("/usr/share")' "$T/more.json" >/dev/null || fail "/usr/share not in excludes"
	assert_eq "nothing under /usr/share" 0 \
		"$(jq '[.entries[].path | select(. == "/usr/share" or startswith("/usr/share/"))] | length' "$T/more.json")"
	[ -n "$(entry "$T/more.json" /usr/bin)" ] || fail "--exclude /usr/share removed /usr/bin"
}

@test "fingerprint file: an edited rootDigest or entry is refused (exit 2)" {
	fp "$T/good.json" "oci:$IMAGES/special:latest" --with-layers
	run "$IMPRINT" diff "$T/good.json" "$T/good.json"
	assert_status 0
	run "$IMPRINT" diff "$T/good.json" "oci:$IMAGES/special:latest"
	assert_status 0

	jq '.rootDigest = "sha256:" + ("0" * 64)' "$T/good.json" >"$T/edited-root.json"
	jq '(.entries[] | select(.path == "/usr/bin/suidbox") | .mode) = "0755"' "$T/good.json" >"$T/edited-mode.json"
	jq '(.entries[] | select(.path == "/bin/busybox") | .sha256) = ("a" * 64)' "$T/good.json" >"$T/edited-sha.json"
	jq 'del(.entries[] | select(.path == "/usr/bin/capbox"))' "$T/good.json" >"$T/edited-del.json"
	jq '(.layers[1].entries[0].mode) = "0777"' "$T/good.json" >"$T/edited-layer.json"
	local f
	for f in root mode sha del layer; do
		! cmp -s "$T/good.json" "$T/edited-$f.json" || fail "jq did not edit ($f)"
		run "$IMPRINT" diff "$T/edited-$f.json" "$T/good.json"
		assert_error diff
		run "$IMPRINT" diff "$T/good.json" "$T/edited-$f.json"
		assert_error diff
	done
}

@test "fingerprint file: not JSON, wrong kind, or truncated is refused (exit 2)" {
	fp "$T/good.json" "oci:$IMAGES/busybox:latest"
	head -c 500 "$T/good.json" >"$T/truncated.json"
	jq '.kind = "Fingerprint"' "$T/good.json" >"$T/kind.json"
	echo 'not json' >"$T/text.json"
	local f
	for f in truncated kind text; do
		run "$IMPRINT" diff "$T/$f.json" "$T/good.json"
		assert_error diff
	done
}
