#!/usr/bin/env bats
# imprint inspect: the image identity must be exactly what skopeo, umoci and podman say it is,
# whichever transport the image is read through.

load ../lib/common

setup_file() {
	images busybox special variants debian
}

setup() {
	T=$BATS_TEST_TMPDIR
}

# oracle NAME: write the oracles' view of oci:$IMAGES/NAME:latest into $T/NAME.*
oracle() {
	local n=$1
	skopeo inspect --raw "oci:$IMAGES/$n:latest" >"$T/$n.manifest"
	skopeo inspect --config --raw "oci:$IMAGES/$n:latest" >"$T/$n.config"
	umoci stat --json --image "$IMAGES/$n:latest" >"$T/$n.stat"
}

# check_identity JSON NAME: imprint's inspect JSON (file) shows the manifest, config and layers
# the oracles show for image NAME.
check_identity() {
	local js=$1 n=$2
	assert_eq manifestDigest "sha256:$(sha256 "$T/$n.manifest")" "$(jq -r .manifestDigest "$js")"
	assert_eq "manifestDigest vs index.json" \
		"$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "latest") | .digest' \
			"$IMAGES/$n/index.json")" "$(jq -r .manifestDigest "$js")"
	assert_eq manifestMediaType "application/vnd.oci.image.manifest.v1+json" \
		"$(jq -r .manifestMediaType "$js")"
	assert_eq configDigest "sha256:$(sha256 "$T/$n.config")" "$(jq -r .configDigest "$js")"
	assert_eq "configDigest vs manifest" "$(jq -r .config.digest "$T/$n.manifest")" \
		"$(jq -r .configDigest "$js")"
	# layers: digest, mediaType, size from the manifest; diffID from the config
	assert_eq "layers (manifest)" "$(jq -c '[.layers[] | {digest, mediaType, size}]' "$T/$n.manifest")" \
		"$(jq -c '[.layers[] | {digest, mediaType, size}]' "$js")"
	assert_eq "diffIDs (config)" "$(jq -c .rootfs.diff_ids "$T/$n.config")" \
		"$(jq -c '[.layers[].diffID]' "$js")"
	# and umoci's own history view of the same layers
	assert_eq "layers (umoci stat)" \
		"$(jq -c '[.history[] | select(.layer) | {digest: .layer.digest, mediaType: .layer.mediaType, size: .layer.size, diffID: .diff_id}]' "$T/$n.stat")" \
		"$(jq -c '[.layers[] | {digest, mediaType, size, diffID}]' "$js")"
	assert_eq platform "$(jq -c '{os, architecture}' "$T/$n.config")" "$(jq -c .platform "$js")"
}

# check_config JSON NAME: the config summary matches the config blob.
check_config() {
	local js=$1 n=$2 c=$T/$2.config
	assert_eq entrypoint "$(jq -c '.config.Entrypoint // []' "$c")" "$(jq -c '.config.entrypoint // []' "$js")"
	assert_eq cmd "$(jq -c '.config.Cmd // []' "$c")" "$(jq -c '.config.cmd // []' "$js")"
	assert_eq env "$(jq -c '.config.Env // []' "$c")" "$(jq -c '.config.env // []' "$js")"
	assert_eq user "$(jq -r '.config.User // ""' "$c")" "$(jq -r '.config.user // ""' "$js")"
	assert_eq workingDir "$(jq -r '.config.WorkingDir // ""' "$c")" \
		"$(jq -r '.config.workingDir // ""' "$js")"
	assert_eq exposedPorts "$(jq -c '.config.ExposedPorts // {} | keys | sort' "$c")" \
		"$(jq -c '.config.exposedPorts // [] | sort' "$js")"
}

inspect_oci() {
	local n=$1
	oracle "$n"
	run "$IMPRINT" inspect --json "oci:$IMAGES/$n:latest"
	assert_status 0
	echo "$output" >"$T/out.json"
	assert_eq source "oci:$IMAGES/$n:latest" "$(jq -r .source "$T/out.json")"
	assert_eq transport oci "$(jq -r .transport "$T/out.json")"
	check_identity "$T/out.json" "$n"
	check_config "$T/out.json" "$n"
}

@test "inspect oci: busybox matches skopeo, umoci and the config" {
	inspect_oci busybox
	# what mkimages.sh put there, so the comparison above cannot pass on two empty answers
	assert_eq entrypoint '["/bin/sh"]' "$(jq -c .config.entrypoint "$T/out.json")"
	assert_eq exposedPorts '["8080/tcp"]' "$(jq -c .config.exposedPorts "$T/out.json")"
	assert_eq user root "$(jq -r .config.user "$T/out.json")"
	assert_eq workingDir /root "$(jq -r .config.workingDir "$T/out.json")"
	assert_eq layers 1 "$(jq '.layers | length' "$T/out.json")"
}

@test "inspect oci: special (4 layers) matches skopeo, umoci and the config" {
	inspect_oci special
	assert_eq layers 4 "$(jq '.layers | length' "$T/out.json")"
	assert_eq user 1000:1000 "$(jq -r .config.user "$T/out.json")"
	assert_eq exposedPorts '["53/udp","80/tcp"]' "$(jq -c '.config.exposedPorts | sort' "$T/out.json")"
}

@test "inspect oci: debian matches skopeo, umoci and the config" {
	inspect_oci debian
	assert_eq cmd '["/bin/bash"]' "$(jq -c .config.cmd "$T/out.json")"
}

@test "inspect without --json prints the digests" {
	oracle busybox
	run "$IMPRINT" inspect "oci:$IMAGES/busybox:latest"
	assert_status 0
	assert_contains "sha256:$(sha256 "$T/busybox.manifest")"
	assert_contains "sha256:$(sha256 "$T/busybox.config")"
	assert_contains "$(jq -r '.rootfs.diff_ids[0]' "$T/busybox.config")"
}

@test "inspect oci: a REF chooses among several images in one layout" {
	local r want
	for r in base content mode owner target added removed xattr; do
		want=$(jq -r --arg r "$r" \
			'.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r) | .digest' \
			"$IMAGES/variants/index.json")
		[ -n "$want" ] || fail "ref $r missing from variants/index.json"
		run "$IMPRINT" inspect --json "oci:$IMAGES/variants:$r"
		assert_status 0
		assert_eq "manifestDigest of ref $r" "$want" "$(echo "$output" | jq -r .manifestDigest)"
	done
}

@test "inspect oci: REF may be the manifest digest" {
	local d
	d=$(jq -r '.manifests[0].digest' "$IMAGES/busybox/index.json")
	run "$IMPRINT" inspect --json "oci:$IMAGES/busybox:$d"
	assert_status 0
	assert_eq manifestDigest "$d" "$(echo "$output" | jq -r .manifestDigest)"
}

@test "inspect oci: REF may be left out when the layout holds one image" {
	run "$IMPRINT" inspect --json "oci:$IMAGES/busybox"
	assert_status 0
	assert_eq manifestDigest "$(jq -r '.manifests[0].digest' "$IMAGES/busybox/index.json")" \
		"$(echo "$output" | jq -r .manifestDigest)"
}

@test "inspect oci: an unknown REF is an error (plain and --json)" {
	run "$IMPRINT" inspect "oci:$IMAGES/busybox:no-such-ref"
	assert_error inspect
	# --json: the error is also on stdout, as JSON, so a script reads one stream
	run --separate-stderr "$IMPRINT" inspect --json "oci:$IMAGES/busybox:no-such-ref"
	assert_status 2
	[ "$(echo "$output" | jq -r '.error | type')" = string ] || fail "no {\"error\": ...} on stdout: $output"
}

@test "inspect oci: zstd and uncompressed layers: same config and diffIDs, their own layer digests" {
	oracle busybox
	local v
	for v in busybox-zstd busybox-plain; do
		oracle "$v"
		run "$IMPRINT" inspect --json "oci:$IMAGES/$v:latest"
		assert_status 0
		echo "$output" >"$T/$v.json"
		check_identity "$T/$v.json" "$v"
		assert_eq "$v configDigest" "sha256:$(sha256 "$T/busybox.config")" \
			"$(jq -r .configDigest "$T/$v.json")"
	done
	assert_eq "zstd media type" application/vnd.oci.image.layer.v1.tar+zstd \
		"$(jq -r '.layers[0].mediaType' "$T/busybox-zstd.json")"
	assert_eq "plain media type" application/vnd.oci.image.layer.v1.tar \
		"$(jq -r '.layers[0].mediaType' "$T/busybox-plain.json")"
}

inspect_oci_archive() {
	local n=$1
	skip_unless skopeo
	oracle "$n"
	run "$IMPRINT" inspect --json "oci-archive:$IMAGES/$n.oci.tar:latest"
	assert_status 0
	echo "$output" >"$T/out.json"
	assert_eq transport oci-archive "$(jq -r .transport "$T/out.json")"
	# skopeo reads the archive too: it must be the same manifest
	assert_eq "skopeo on the archive" "sha256:$(skopeo inspect --raw "oci-archive:$IMAGES/$n.oci.tar:latest" | sha256sum | cut -d' ' -f1)" \
		"$(jq -r .manifestDigest "$T/out.json")"
	check_identity "$T/out.json" "$n"
	check_config "$T/out.json" "$n"
	run "$IMPRINT" inspect --json "oci-archive:$IMAGES/$n.oci.tar"
	assert_status 0
	assert_eq "without REF" "$(jq -r .manifestDigest "$T/out.json")" "$(echo "$output" | jq -r .manifestDigest)"
}

@test "inspect oci-archive: busybox, same identity as the layout" {
	inspect_oci_archive busybox
}

@test "inspect oci-archive: special, same identity as the layout" {
	inspect_oci_archive special
}

@test "inspect oci-archive: debian, same identity as the layout" {
	inspect_oci_archive debian
}

inspect_storage() {
	local n=$1 id
	oracle "$n"
	tpodman image inspect "localhost/$n:latest" >"$T/podman.json"
	id=$(jq -r '.[0].Id' "$T/podman.json")
	# podman's own view agrees with skopeo's (so the store holds what we think it holds)
	assert_eq "podman Id" "$(sha256 "$T/$n.config")" "$id"
	assert_eq "podman Digest" "sha256:$(sha256 "$T/$n.manifest")" "$(jq -r '.[0].Digest' "$T/podman.json")"
	assert_eq "podman RootFS.Layers" "$(jq -c .rootfs.diff_ids "$T/$n.config")" \
		"$(jq -c '.[0].RootFS.Layers' "$T/podman.json")"
	for src in "localhost/$n:latest" "$id"; do
		run "$IMPRINT" inspect --json --storage-root "$IMAGES/storage" "containers-storage:$src"
		assert_status 0
		echo "$output" >"$T/out.json"
		assert_eq transport containers-storage "$(jq -r .transport "$T/out.json")"
		assert_eq "configDigest = podman Id" "sha256:$id" "$(jq -r .configDigest "$T/out.json")"
		assert_eq "manifestDigest = podman Digest" "$(jq -r '.[0].Digest' "$T/podman.json")" \
			"$(jq -r .manifestDigest "$T/out.json")"
		assert_eq "diffIDs = podman RootFS.Layers" "$(jq -c '.[0].RootFS.Layers' "$T/podman.json")" \
			"$(jq -c '[.layers[].diffID]' "$T/out.json")"
		check_identity "$T/out.json" "$n"
		check_config "$T/out.json" "$n"
	done
}

@test "inspect containers-storage: busybox by name and by ID equals podman image inspect" {
	inspect_storage busybox
}

@test "inspect containers-storage: special by name and by ID equals podman image inspect" {
	inspect_storage special
}

@test "inspect containers-storage: debian by name and by ID equals podman image inspect" {
	inspect_storage debian
}

@test "inspect containers-storage: an image the store does not have is an error" {
	run "$IMPRINT" inspect --storage-root "$IMAGES/storage" containers-storage:localhost/nope:latest
	assert_error inspect
}

inspect_docker_archive() {
	local n=$1 ref
	oracle "$n"
	for ref in "" ":localhost/$n:latest" ":@0"; do
		run "$IMPRINT" inspect --json "docker-archive:$IMAGES/$n.docker.tar$ref"
		assert_status 0
		echo "$output" >"$T/out.json"
		assert_eq transport docker-archive "$(jq -r .transport "$T/out.json")"
		assert_eq "manifestDigest (none in a docker-archive)" null "$(jq -r .manifestDigest "$T/out.json")"
		assert_eq configDigest "sha256:$(sha256 "$T/$n.config")" "$(jq -r .configDigest "$T/out.json")"
		assert_eq diffIDs "$(jq -c .rootfs.diff_ids "$T/$n.config")" "$(jq -c '[.layers[].diffID]' "$T/out.json")"
		assert_eq "digest = diffID" "$(jq -c '[.layers[].diffID]' "$T/out.json")" \
			"$(jq -c '[.layers[].digest]' "$T/out.json")"
		check_config "$T/out.json" "$n"
	done
	# the archive's manifest.json agrees (Config is the config digest hex)
	assert_eq "manifest.json Config" "$(sha256 "$T/$n.config").json" \
		"$(tar -xOf "$IMAGES/$n.docker.tar" manifest.json | jq -r '.[0].Config')"
}

@test "inspect docker-archive: busybox (podman save): config digest and diffIDs" {
	inspect_docker_archive busybox
}

@test "inspect docker-archive: special (podman save): config digest and diffIDs" {
	inspect_docker_archive special
}

@test "inspect docker-archive: debian (podman save): config digest and diffIDs" {
	inspect_docker_archive debian
}

@test "inspect docker-archive: an unknown RepoTag or index is an error" {
	run "$IMPRINT" inspect "docker-archive:$IMAGES/busybox.docker.tar:localhost/other:latest"
	assert_error inspect
	run "$IMPRINT" inspect "docker-archive:$IMAGES/busybox.docker.tar:@1"
	assert_error inspect
}

@test "inspect dir: has no identity, only source and transport" {
	local root
	root=$(unpacked busybox)
	run "$IMPRINT" inspect --json "dir:$root"
	assert_status 0
	echo "$output" >"$T/out.json"
	assert_eq transport dir "$(jq -r .transport "$T/out.json")"
	assert_eq source "dir:$root" "$(jq -r .source "$T/out.json")"
	assert_eq "null digests" "null null []" \
		"$(jq -r '[.manifestDigest, .configDigest] | map(tostring) | join(" ")' "$T/out.json") $(jq -c '.layers // []' "$T/out.json")"
}

@test "inspect: bad usage is exit 2 with one line" {
	run "$IMPRINT" inspect
	assert_status 2
	run "$IMPRINT" inspect "nosuchtransport:/x"
	assert_error inspect
	run "$IMPRINT" inspect "oci:$T/does-not-exist:latest"
	assert_error inspect
}
