#!/usr/bin/env bats
# Hostile input: every broken or malicious image is refused with exit 2 and one line of error,
# never a crash (134 abort, 139 segfault, sanitizer reports), and nothing is written.
# tests/lib/ocitool.py builds the layouts: correct digests everywhere except what a test breaks.

load ../lib/common

setup_file() {
	images busybox
}

setup() {
	T=$BATS_TEST_TMPDIR
	mkdir -p "$T/out"
}

ocitool() {
	python3 "$LIB/ocitool.py" "$@"
}

# refused VERB SOURCE [OPTIONS...]: `imprint VERB` on SOURCE exits 2 with one line and, for
# fingerprint, leaves the output directory empty.
refused() {
	local verb=$1 src=$2
	shift 2
	if [ "$verb" = fingerprint ]; then
		run "$IMPRINT" fingerprint -o "$T/out/fp.json" "$@" "$src"
	else
		run "$IMPRINT" "$verb" "$@" "$src"
	fi
	assert_error "$verb"
	[ -z "$(ls -A "$T/out")" ] || fail "files left behind: $(ls -A "$T/out")"
}

# busybox_copy DIR: a private copy of the busybox layout to break; sets LAYER (its layer blob).
busybox_copy() {
	cp -a "$IMAGES/busybox" "$1"
	local m
	m=$(jq -r '.manifests[0].digest' "$1/index.json")
	LAYER_DIGEST=$(jq -r '.layers[0].digest' "$(blob "$1" "$m")")
	CONFIG_DIGEST=$(jq -r '.config.digest' "$(blob "$1" "$m")")
	MANIFEST_DIGEST=$m
	LAYER=$(blob "$1" "$LAYER_DIGEST")
}

# one_layer NAME ENTRY...: an OCI layout $T/NAME with one layer made of ENTRY (ocitool tar).
one_layer() {
	local name=$1
	shift
	ocitool tar "$T/$name.tar" "$@"
	ocitool layout "$T/$name" "$T/$name.tar"
}

@test "hostile: the unbroken copies work (control)" {
	busybox_copy "$T/bb"
	run "$IMPRINT" fingerprint -o "$T/ok.json" "oci:$T/bb:latest"
	assert_status 0
	one_layer ok file:etc/x:hello dir:etc/ symlink:etc/l:x
	run "$IMPRINT" fingerprint -o "$T/ok2.json" "oci:$T/ok:latest"
	assert_status 0
	assert_eq entries '["/etc","/etc/l","/etc/x"]' "$(jq -c '[.entries[].path]' "$T/ok2.json")"
}

@test "hostile: truncated layer blob" {
	busybox_copy "$T/bb"
	truncate -s $(($(stat -c %s "$LAYER") / 2)) "$LAYER"
	refused fingerprint "oci:$T/bb:latest"
}

@test "hostile: one byte flipped in a layer blob; the error names the blob" {
	busybox_copy "$T/bb"
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(5000); b = f.read(1); f.seek(5000); f.write(bytes([b[0] ^ 1]))' "$LAYER"
	refused fingerprint "oci:$T/bb:latest"
	assert_contains "${LAYER_DIGEST#sha256:}"
}

@test "hostile: missing layer blob" {
	busybox_copy "$T/bb"
	rm "$LAYER"
	refused fingerprint "oci:$T/bb:latest"
}

@test "hostile: missing or edited config blob (inspect checks it)" {
	busybox_copy "$T/bb"
	local c
	c=$(blob "$T/bb" "$CONFIG_DIGEST")
	jq -c '.config.Entrypoint = ["/bin/evil"]' "$c" >"$T/cfg" && cat "$T/cfg" >"$c"
	refused inspect "oci:$T/bb:latest"
	assert_contains "${CONFIG_DIGEST#sha256:}"
	refused fingerprint "oci:$T/bb:latest"
	rm "$c"
	refused inspect "oci:$T/bb:latest"
}

@test "hostile: edited manifest blob (digest no longer matches index.json)" {
	busybox_copy "$T/bb"
	local m
	m=$(blob "$T/bb" "$MANIFEST_DIGEST")
	jq -c '.annotations = {"x": "y"}' "$m" >"$T/m" && cat "$T/m" >"$m"
	refused inspect "oci:$T/bb:latest"
	refused fingerprint "oci:$T/bb:latest"
}

@test "hostile: a digest that is a path (sha256:../..) or an unknown algorithm" {
	busybox_copy "$T/bb"
	jq -c '.manifests[0].digest = "sha256:../../../../../etc/passwd"' "$IMAGES/busybox/index.json" >"$T/bb/index.json"
	refused inspect "oci:$T/bb:latest"
	jq -c '.manifests[0].digest = "md5:d41d8cd98f00b204e9800998ecf8427e"' "$IMAGES/busybox/index.json" >"$T/bb/index.json"
	refused inspect "oci:$T/bb:latest"
}

@test "hostile: gzip layer corrupted in the middle (digests match the corrupt bytes)" {
	ocitool tar "$T/l.tar" dir:bin/ "exe:bin/prog:$(head -c 20000 /dev/urandom | base64 -w0)"
	ocitool layout "$T/gz" "$T/l.tar" --corrupt-gzip
	refused fingerprint "oci:$T/gz:latest"
}

@test "hostile: tar truncated inside a file's data (valid gzip, valid digests)" {
	ocitool tar "$T/l.tar" dir:bin/ "exe:bin/prog:$(head -c 20000 /dev/urandom | base64 -w0)"
	head -c 10000 "$T/l.tar" >"$T/short.tar"
	ocitool layout "$T/short" "$T/short.tar"
	refused fingerprint "oci:$T/short:latest"
}

@test "hostile: tar entry ../escape" {
	one_layer esc file:../escape:pwned dir:etc/
	refused fingerprint "oci:$T/esc:latest"
	[ ! -e "$T/escape" ] && [ ! -e "$T/out/../escape" ] || fail "something was written outside"
	one_layer esc2 dir:etc/ file:etc/../../escape:pwned
	refused fingerprint "oci:$T/esc2:latest"
}

@test "hostile: tar entry with an absolute path /etc/x" {
	one_layer abs file:/etc/x:pwned
	refused fingerprint "oci:$T/abs:latest"
}

@test "hostile: a later layer writes through a symlink from a lower layer (evil -> /etc)" {
	ocitool tar "$T/l1.tar" symlink:evil:/etc
	ocitool tar "$T/l2.tar" file:evil/passwd:root::0:0::/:/bin/sh
	ocitool layout "$T/sl" "$T/l1.tar" "$T/l2.tar"
	refused fingerprint "oci:$T/sl:latest"
	# the same inside one layer, and with a relative link
	one_layer sl1 symlink:evil:../../etc file:evil/passwd:x
	refused fingerprint "oci:$T/sl1:latest"
}

@test "hostile: hardlink to a missing target" {
	one_layer hl dir:etc/ hardlink:etc/link:etc/nothere
	refused fingerprint "oci:$T/hl:latest"
}

@test "hostile: malformed index.json" {
	busybox_copy "$T/bb"
	echo '{"schemaVersion": 2, "manifests": [' >"$T/bb/index.json"
	refused inspect "oci:$T/bb:latest"
	refused fingerprint "oci:$T/bb:latest"
	echo '{"schemaVersion": 2, "manifests": {"not": "a list"}}' >"$T/bb/index.json"
	refused inspect "oci:$T/bb:latest"
	printf '\0\0\0' >"$T/bb/index.json"
	refused inspect "oci:$T/bb:latest"
}

@test "hostile: a 100 MB manifest is refused by a size cap, fast" {
	one_layer tiny file:etc/x:hello
	ocitool layout "$T/big" "$T/tiny.tar" --pad-manifest $((100 * 1024 * 1024))
	local size start ms
	size=$(jq -r '.manifests[0].size' "$T/big/index.json")
	[ "$size" -ge $((100 * 1000 * 1000)) ] || fail "manifest is only $size bytes"
	start=$(date +%s%N)
	refused inspect "oci:$T/big:latest"
	ms=$((($(date +%s%N) - start) / 1000000))
	[ "$ms" -lt 3000 ] || fail "took $ms ms: the manifest was read, not capped"
	refused fingerprint "oci:$T/big:latest"
}

@test "hostile: unknown layer media type" {
	ocitool tar "$T/l.tar" file:etc/x:hello
	ocitool layout "$T/mt" "$T/l.tar" --media-type application/vnd.example.unknown
	refused fingerprint "oci:$T/mt:latest"
}

@test "hostile: multi-platform index without the requested platform" {
	ocitool tar "$T/l.tar" file:etc/x:hello
	ocitool layout "$T/mp" "$T/l.tar" --platform linux/arm64 --platform linux/ppc64le
	# control: a platform the index has
	run "$IMPRINT" inspect --json --platform linux/arm64 "oci:$T/mp:latest"
	assert_status 0
	assert_eq platform '{"os":"linux","architecture":"arm64"}' "$(echo "$output" | jq -c .platform)"
	run "$IMPRINT" inspect --json --platform linux/ppc64le "oci:$T/mp:latest"
	assert_status 0
	assert_eq platform '{"os":"linux","architecture":"ppc64le"}' "$(echo "$output" | jq -c .platform)"
	refused inspect "oci:$T/mp:latest" --platform linux/s390x
	refused fingerprint "oci:$T/mp:latest" --platform linux/s390x
	# the default is the host's platform, which this index does not have either
	refused inspect "oci:$T/mp:latest"
}

@test "hostile: containers-storage with a broken images.json or layers.json" {
	local s=$T/store
	mkdir -p "$s/overlay-images" "$s/overlay-layers" "$s/overlay"
	cp "$IMAGES/storage/overlay-layers/layers.json" "$s/overlay-layers/"
	head -c 100 "$IMAGES/storage/overlay-images/images.json" >"$s/overlay-images/images.json"
	refused inspect containers-storage:localhost/busybox:latest --storage-root "$s"
	refused fingerprint containers-storage:localhost/busybox:latest --storage-root "$s"
	echo '{"not": "a list"}' >"$s/overlay-images/images.json"
	refused inspect containers-storage:localhost/busybox:latest --storage-root "$s"
	# images.json fine, layers.json broken
	cp -a "$IMAGES/storage/overlay-images/." "$s/overlay-images/"
	echo '[{"id": ' >"$s/overlay-layers/layers.json"
	refused fingerprint containers-storage:localhost/busybox:latest --storage-root "$s"
}

# storage_copy: a private copy of the store; sets BIGDATA to busybox's big-data directory.
storage_copy() {
	local id
	cp -a "$IMAGES/storage" "$T/store"
	id=$(jq -r '.[] | select(.names | index("localhost/busybox:latest")) | .id' "$T/store/overlay-images/images.json")
	BIGDATA=$T/store/overlay-images/$id
	[ -d "$BIGDATA" ] || fail "no big-data dir $BIGDATA"
	run "$IMPRINT" inspect --storage-root "$T/store" containers-storage:localhost/busybox:latest
	assert_status 0
}

# edit_bigdata PREDICATE FILTER: apply jq FILTER to every big-data item for which PREDICATE holds.
edit_bigdata() {
	local f n=0
	for f in "$BIGDATA"/*; do
		if jq -e "$1" "$f" >/dev/null 2>&1; then
			jq -c "$2" "$f" >"$T/edit" && cat "$T/edit" >"$f"
			n=$((n + 1))
		fi
	done
	[ "$n" -gt 0 ] || fail "no big-data item matched $1"
}

@test "hostile: containers-storage image whose config big-data was edited" {
	storage_copy
	edit_bigdata .rootfs '.config.Entrypoint = ["/bin/evil"]'
	refused inspect containers-storage:localhost/busybox:latest --storage-root "$T/store"
	refused fingerprint containers-storage:localhost/busybox:latest --storage-root "$T/store"
}

@test "hostile: containers-storage image whose manifest big-data was edited" {
	# images.json and the big-data key (manifest-sha256:...) name the manifest digest podman
	# pulled; the stored bytes no longer have it
	storage_copy
	edit_bigdata .layers '.annotations = {"x": "y"}'
	refused inspect containers-storage:localhost/busybox:latest --storage-root "$T/store"
	refused fingerprint containers-storage:localhost/busybox:latest --storage-root "$T/store"
}

@test "hostile: docker-archive whose manifest.json points outside the archive or nowhere" {
	ocitool tar "$T/l.tar" file:etc/x:hello
	ocitool docker-archive "$T/ok.docker.tar" "$T/l.tar"
	run "$IMPRINT" inspect "docker-archive:$T/ok.docker.tar"
	assert_status 0
	ocitool docker-archive "$T/bad.docker.tar" "$T/l.tar" --layer-path ../../../../etc/passwd
	refused fingerprint "docker-archive:$T/bad.docker.tar"
	ocitool docker-archive "$T/bad2.docker.tar" "$T/l.tar" --layer-path nothere.tar
	refused fingerprint "docker-archive:$T/bad2.docker.tar"
}

@test "hostile: truncated oci-archive and docker-archive" {
	head -c 300000 "$IMAGES/busybox.oci.tar" >"$T/short.oci.tar"
	refused fingerprint "oci-archive:$T/short.oci.tar"
	head -c 300000 "$IMAGES/busybox.docker.tar" >"$T/short.docker.tar"
	refused fingerprint "docker-archive:$T/short.docker.tar"
}

@test "hostile: dir: symlinks that point outside the tree are recorded, never followed" {
	mkdir -p "$T/outside/sub" "$T/root/etc"
	echo secret >"$T/outside/sub/file"
	# a reader that follows a link into a fifo blocks forever: timeout turns that into 124
	mkfifo "$T/outside/fifo"
	echo ok >"$T/root/etc/ok"
	ln -s ../../outside/fifo "$T/root/etc/rel"
	ln -s "$T/outside/fifo" "$T/root/etc/abs"
	ln -s "$T/outside" "$T/root/dirlink"
	ln -s ../.. "$T/root/up"
	run timeout 60 "$IMPRINT" fingerprint -o "$T/fp.json" "dir:$T/root"
	assert_status 0
	assert_eq paths '["/dirlink","/etc","/etc/abs","/etc/ok","/etc/rel","/up"]' \
		"$(jq -c '[.entries[].path]' "$T/fp.json")"
	assert_eq types '["symlink","dir","symlink","file","symlink","symlink"]' \
		"$(jq -c '[.entries[].type]' "$T/fp.json")"
	assert_eq targets "[\"$T/outside\",null,\"$T/outside/fifo\",null,\"../../outside/fifo\",\"../..\"]" \
		"$(jq -c '[.entries[].target]' "$T/fp.json")"
}

@test "hostile: bad command lines are exit 2 with one line" {
	run "$IMPRINT" fingerprint
	assert_status 2
	run "$IMPRINT" fingerprint --no-such-option "oci:$IMAGES/busybox:latest"
	assert_status 2
	run "$IMPRINT" no-such-verb
	assert_status 2
	run "$IMPRINT" fingerprint --platform nonsense "oci:$IMAGES/busybox:latest"
	assert_status 2
	run "$IMPRINT" fingerprint "oci:"
	assert_error fingerprint
}
