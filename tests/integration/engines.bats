#!/usr/bin/env bats
# Verification at container creation through Docker 20.10 (`docker run --runtime imprint`) and
# containerd 1.6 (`ctr run --runc-binary imprint-runc`): a private dockerd and a private
# containerd (tests/lib/engines.bash) run imprint-runc, which gets its settings from one
# imprint.conf: named in Docker's runtimeArgs (--imprint-config=FILE; dockerd's environment
# holds no IMPRINT_* variable), and by IMPRINT_CONFIG for containerd (ctr cannot pass
# arguments; a host uses /etc/imprint/imprint.conf). The image's stored layer directory
# is tampered with as an attacker with host access would: the container must not start, the
# error the engine prints must name the file, and the restored layer must start again — with
# imprintd (which had verified the pristine image just before) and without it.

load ../lib/common
load ../lib/engines

IMAGE=localhost/busybox:latest

setup_file() {
	images busybox
	need "docker.io is not installed" test -x "$DOCKERD" -a -x "$DOCKER_CLI"
	skip_unless containerd
	skip_unless ctr
	skip_unless runc
	skip_unless setcap
	F=$BATS_FILE_TMPDIR
	export SOCK=$F/d/imprintd.sock AUDIT=$F/audit.jsonl PIN=/sys/fs/bpf/imprint-engines-$$
	mkdir -p "$F/etc/keys" "$F/etc/policy.d" "$F/etc/fps" "$F/state" "$F/d"
	cd "$F"
	"$IMPRINT" keygen --out signer >/dev/null
	cp signer.pub etc/keys/
	"$IMPRINT" policy init base.json --name base >/dev/null
	"$IMPRINT" policy add base.json "docker-archive:$IMAGES/busybox.docker.tar" >/dev/null
	"$IMPRINT" fingerprint "docker-archive:$IMAGES/busybox.docker.tar" \
		-o "etc/fps/$(jq -r '.images[0].rootDigest' base.json | cut -d: -f2).json" >/dev/null
	"$IMPRINT" policy sign base.json --key signer.key -o etc/policy.d/base.dsse >/dev/null

	cat >"$F/imprint.conf" <<-EOF
		policy-dir = $F/etc/policy.d
		keys-dir = $F/etc/keys
		state-dir = $F/state
		fingerprint-dir = $F/etc/fps
		audit-log = $AUDIT
		socket = $SOCK
		mode = enforce
	EOF
	engines_init
	local rt
	rt=$(imprint_runc)
	RUNTIME_ARGS="--imprint-config=$F/imprint.conf" dockerd_start "$rt"
	containerd_start "$rt" IMPRINT_CONFIG="$F/imprint.conf"
	docker_load busybox
	ctr_import busybox
	export DLAYER CLAYER
	DLAYER=$(docker_layer_dir "$IMAGE")
	CLAYER=$(ctr_layer_dir "$IMAGE")
	cp -a "$DLAYER" "$F/pristine-docker"
	cp -a "$CLAYER" "$F/pristine-containerd"
	start_imprintd
}

teardown_file() {
	stop_imprintd
	if [ -d "$PIN" ]; then
		rm -f "$PIN"/* && rmdir "$PIN" || true
	fi
	engines_teardown
	unmount_below "$BATS_FILE_TMPDIR"
	# under ASan/UBSan the daemon reports there (leaks at exit included)
	! grep -E "runtime error|ERROR: (Address|Leak)Sanitizer" "$BATS_FILE_TMPDIR/imprintd.log" ||
		fail "imprintd: sanitizer report in imprintd.log"
}

setup() {
	F=$BATS_FILE_TMPDIR
	cd "$F"
	N=0
	if [ -f imprintd.pid ]; then
		imprintd_alive
	else
		start_imprintd
	fi
}

teardown() {
	# a test's own undo (e.g. a redirected map), even when it failed half-way
	[ -z "${UNDO:-}" ] || eval "$UNDO"
	UNDO=
	restore_layers
	local ids
	ids=$(tdocker ps -aq 2>/dev/null || true)
	# shellcheck disable=SC2086
	[ -z "$ids" ] || tdocker rm -f $ids >/dev/null 2>&1 || true
}

start_imprintd() {
	# the same imprint.conf as imprint-runc, plus imprintd's own settings
	background "$F/imprintd.log" "$IMPRINT" daemon --config "$F/imprint.conf" \
		--events-db "$F/events.db" --metrics-socket '' --pin-dir "$PIN" \
		--protect-state-dir "$F/protected" ${IMPRINTD_ARGS:-}
	echo "$BG_PID" >"$F/imprintd.pid"
	for _ in $(seq 100); do
		"$IMPRINT" daemon --status --socket "$SOCK" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	fail "imprintd did not start: $(cat "$F/imprintd.log")"
}

imprintd_alive() {
	alive "$(cat "$F/imprintd.pid")" || fail "imprintd died:" "$(tail -20 "$F/imprintd.log")"
}

# answers: how many layer verdicts imprintd has given (cache hits and misses)
answers() {
	"$IMPRINT" daemon --status --socket "$SOCK" | jq '.hits + .misses'
}

stop_imprintd() {
	stop_pid "$(cat "$BATS_FILE_TMPDIR/imprintd.pid" 2>/dev/null || true)" 10
	rm -f "$BATS_FILE_TMPDIR/imprintd.pid"
}

last_verdict() {
	tail -1 "$AUDIT" 2>/dev/null | jq -r .verdict
}

layer() {
	case $1 in
	docker) echo "$DLAYER" ;;
	containerd) echo "$CLAYER" ;;
	esac
}

# restore_layers: both stored layers as they were pulled (a symlink in their place removed)
restore_layers() {
	local e l
	for e in docker containerd; do
		l=$(layer $e)
		[ -n "$l" ] || continue
		rm -rf "$l"
		cp -a "$F/pristine-$e" "$l"
	done
	rm -rf "$F"/evil-*
}

# start ENGINE: a container from busybox that echoes container-ran, through imprint-runc
start() {
	N=$((N + 1))
	case $1 in
	docker)
		run tdocker run --rm --network none --runtime imprint --entrypoint /bin/echo "$IMAGE" container-ran
		;;
	containerd)
		# the id names the container's cgroup (/imprint-test/ID), which is the host's: unique
		run ctr_run "$IMAGE" "engines-$$-$N" /bin/echo container-ran
		;;
	esac
}

# started ENGINE WHEN: the container started and ran
started() {
	start "$1"
	[ "$status" -eq 0 ] && [ "$output" = container-ran ] ||
		fail "$1 ($2): expected the container to run; exit $status:" "$output"
}

# refused ENGINE PATH WHEN: the container did not start; the engine's error is imprint's
# refusal and names PATH (or, with ALT=layer, the layer directory: overlay2/<cache-id>/diff,
# snapshots/<n>/fs)
refused() {
	local alt=
	case ${ALT:-}:$1 in
	layer:docker) alt=${DLAYER#"$D_ROOT"/} ;;
	layer:containerd) alt=${CLAYER#"$C_ROOT"/io.containerd.snapshotter.v1.overlayfs/} ;;
	esac
	start "$1"
	# ENGINES_SHOW=1 bats ... prints every refusal as the engine showed it
	[ -z "${ENGINES_SHOW:-}" ] || printf '# %s: %s\n' "$1 ($3)" "$output" >&3
	[ "$status" -ne 0 ] || fail "$1 ($3): the container started: $output"
	[[ "$output" != *container-ran* ]] || fail "$1 ($3): the container ran: $output"
	[[ "$output" == *"imprint: refused"* ]] || fail "$1 ($3): not imprint's refusal:" "$output"
	[[ "$output" == *"$2"* ]] || [[ -n "$alt" && "$output" == *"$alt"* ]] ||
		fail "$1 ($3): $2 not named:" "$output"
}

# tampered PATH CHANGE: CHANGE DIR ENGINE changes the stored layer directory DIR of ENGINE's
# busybox. Through Docker and containerd, first with imprintd (which verified the pristine
# layer just before), then without: refused naming PATH; the layer restored, it starts again.
tampered() {
	local path=$1 change=$2 e
	for e in docker containerd; do
		started $e "pristine, imprintd"
	done
	for e in docker containerd; do
		$change "$(layer $e)" $e
	done
	for e in docker containerd; do
		refused $e "$path" "tampered, imprintd"
	done
	restore_layers
	for e in docker containerd; do
		started $e "restored, imprintd"
	done
	imprintd_alive
	stop_imprintd
	for e in docker containerd; do
		$change "$(layer $e)" $e
	done
	for e in docker containerd; do
		refused $e "$path" "tampered, no imprintd"
	done
	restore_layers
	for e in docker containerd; do
		started $e "restored, no imprintd"
	done
	start_imprintd
}

# the changes: each takes the layer directory

flip_last_byte() {
	local f=$1/bin/busybox size byte
	touch -r "$f" "$F/ref"
	size=$(stat -c %s "$f")
	byte=$(tail -c 1 "$f" | od -An -tu1 | tr -d ' ')
	# the last byte (section headers, never loaded): size and mtime kept
	printf "\\$(printf %03o $((byte ^ 0x5a)))" | dd of="$f" bs=1 seek=$((size - 1)) conv=notrunc 2>/dev/null
	touch -r "$F/ref" "$f"
	[ "$(stat -c %s "$f")" = "$size" ]
}

chmod_passwd() { chmod 0666 "$1/etc/passwd"; }
setuid_busybox() { chmod u+s "$1/bin/busybox"; }
setcap_busybox() { setcap cap_chown+ep "$1/bin/busybox"; }
add_file() { cp -a "$1/bin/busybox" "$1/bin/evil"; }
delete_file() { rm "$1/etc/group"; }

# the layer directory replaced by a symlink to a copy in which /etc/passwd has a new root
symlink_layer() {
	local copy=$F/evil-$2
	cp -a "$1" "$copy"
	echo 'evil::0:0::/:/bin/sh' >>"$copy/etc/passwd"
	rm -rf "$1"
	ln -s "$copy" "$1"
}

@test "docker: an untampered image starts through --runtime imprint, with and without imprintd" {
	n=$(answers)
	started docker "imprintd"
	[ "$(last_verdict)" = allowed ] || fail "audit: $(tail -1 "$AUDIT" 2>&1)"
	# imprint-runc, run by the shim dockerd started, read the socket from runtimeArgs' config
	[ "$(answers)" -gt "$n" ] || fail "imprintd was not asked: $(cat "$F/imprintd.log")"
	stop_imprintd
	started docker "no imprintd"
	[ "$(last_verdict)" = allowed ] || fail "audit: $(tail -1 "$AUDIT" 2>&1)"
}

@test "containerd: an untampered image starts through ctr run --runc-binary imprint-runc, with and without imprintd" {
	n=$(answers)
	started containerd "imprintd"
	[ "$(last_verdict)" = allowed ] || fail "audit: $(tail -1 "$AUDIT" 2>&1)"
	# imprint-runc, run by the shim containerd started, read the socket from IMPRINT_CONFIG
	[ "$(answers)" -gt "$n" ] || fail "imprintd was not asked: $(cat "$F/imprintd.log")"
	stop_imprintd
	started containerd "no imprintd"
	[ "$(last_verdict)" = allowed ] || fail "audit: $(tail -1 "$AUDIT" 2>&1)"
}

@test "tampered layer: one byte of a binary changed, size and mtime kept" {
	tampered /bin/busybox flip_last_byte
}

@test "tampered layer: chmod" {
	tampered /etc/passwd chmod_passwd
}

@test "tampered layer: setuid bit added" {
	tampered /bin/busybox setuid_busybox
}

@test "tampered layer: security.capability added" {
	tampered /bin/busybox setcap_busybox
}

@test "tampered layer: a file added" {
	tampered /bin/evil add_file
}

@test "tampered layer: a file deleted" {
	tampered /etc/group delete_file
}

@test "tampered layer: the layer directory replaced by a symlink to a tampered copy" {
	# naming the changed file, or refusing the layer directory that is a symlink, both tell
	# what happened
	ALT=layer tampered /etc/passwd symlink_layer
}

@test "docker: a file added to the container's init layer between create and start is refused and named" {
	local mode
	for mode in imprintd "no imprintd"; do
		[ "$mode" = imprintd ] || stop_imprintd
		# the init layer as Docker makes it (/.dockerenv, /etc/hosts, ...) starts
		tdocker create --name "clean-$N" --network none --runtime imprint --entrypoint /bin/echo \
			"$IMAGE" container-ran >/dev/null
		run tdocker start -a "clean-$N"
		[ "$status" -eq 0 ] && [ "$output" = container-ran ] || fail "$mode: clean init layer: $output"
		tdocker create --name "init-$N" --network none --runtime imprint --entrypoint /bin/echo \
			"$IMAGE" container-ran >/dev/null
		init=$(docker_init_dir "init-$N")
		[ -f "$init/.dockerenv" ] || fail "no init layer at $init"
		echo /tmp/evil.so >"$init/etc/ld.so.preload"
		run tdocker start -a "init-$N"
		[ "$status" -ne 0 ] || fail "$mode: started: $output"
		[[ "$output" != *container-ran* ]] || fail "$mode: ran: $output"
		[[ "$output" == *"imprint: refused"*"/etc/ld.so.preload"* ]] || fail "$mode: $output"
		N=$((N + 1))
	done
}

@test "imprintd: a restart changes no verdict" {
	local e round pid
	for e in docker containerd; do
		flip_last_byte "$(layer $e)" $e
	done
	for round in "before the restart" "after a restart" "after kill -9 and a restart"; do
		case $round in
		"after a restart") stop_imprintd && start_imprintd ;;
		"after kill -9"*)
			# its socket is left behind
			pid=$(cat imprintd.pid)
			kill -KILL "$pid"
			while alive "$pid"; do sleep 0.1; done
			rm -f imprintd.pid
			start_imprintd
			;;
		esac
		for e in docker containerd; do
			refused $e /bin/busybox "tampered, $round"
		done
	done
	restore_layers
	for round in "before the restart" "after a restart"; do
		[ "$round" = "before the restart" ] || { stop_imprintd && start_imprintd; }
		for e in docker containerd; do
			started $e "restored, $round"
		done
	done
}

@test "docker-storage: Docker's store read in place gives docker-archive's image ID, diffIDs and root digest" {
	local ds=(--storage-root "$D_ROOT") id want got
	want=$("$IMPRINT" inspect --json "docker-archive:$IMAGES/busybox.docker.tar" |
		jq -c '{configDigest, platform, layers: [.layers[] | {digest, diffID}]}')
	got=$("$IMPRINT" inspect --json "${ds[@]}" docker-storage:busybox |
		jq -c '{configDigest, platform, layers: [.layers[] | {digest, diffID}]}')
	assert_eq "inspect" "$want" "$got"
	# the ID Docker itself prints, by name, by ID and by ID prefix: one root digest
	id=$(tdocker image inspect -f '{{.Id}}' "$IMAGE")
	assert_eq "image ID" "$id" "$(jq -r .configDigest <<<"$got")"
	want=$("$IMPRINT" fingerprint "docker-archive:$IMAGES/busybox.docker.tar" -o /dev/null | cut -d' ' -f1)
	for ref in busybox "$IMAGE" "$id" "${id:7:12}"; do
		got=$("$IMPRINT" fingerprint "${ds[@]}" "docker-storage:$ref" -o /dev/null | cut -d' ' -f1)
		assert_eq "root digest of docker-storage:$ref" "$want" "$got"
	done
	# a policy entry made from Docker's store is the one made from the archive
	rm -f a.json b.json
	"$IMPRINT" policy init a.json --name a >/dev/null
	"$IMPRINT" policy init b.json --name b >/dev/null
	"$IMPRINT" policy add a.json "docker-archive:$IMAGES/busybox.docker.tar" >/dev/null
	"$IMPRINT" policy add b.json "${ds[@]}" docker-storage:busybox >/dev/null
	assert_eq "policy entry" "$(jq -c .images a.json)" "$(jq -c .images b.json)"
	# verify reads it in place: allowed; a tampered layer is refused and named; no such image
	run "$IMPRINT" verify --config "$F/imprint.conf" "${ds[@]}" docker-storage:busybox
	assert_status 0
	chmod_passwd "$DLAYER"
	run "$IMPRINT" verify --config "$F/imprint.conf" "${ds[@]}" docker-storage:busybox
	assert_status 1
	assert_contains "/etc/passwd: mode changed"
	# an image that is not there is refused (exit 1), as for every source verify reads
	run "$IMPRINT" verify --config "$F/imprint.conf" "${ds[@]}" docker-storage:nosuchimage
	assert_status 1
	assert_contains "docker-storage: no image 'nosuchimage'"
}

@test "one refusal message: the engine's error, the audit log and the events database say the same" {
	local e msg
	for e in docker containerd; do
		chmod_passwd "$(layer $e)"
		refused $e /etc/passwd "tampered, imprintd"
		msg=$(tail -1 "$AUDIT" | jq -r .message)
		# the image by name and ID, the first changed file and why, the count of the others
		[[ "$msg" =~ ^"refused localhost/busybox:latest (image "[0-9a-f]{12}"): /etc/passwd: mode changed" ]] ||
			fail "$e: audit message: $msg"
		[[ "$output" == *"imprint: $msg"* ]] || fail "$e: the engine showed:" "$output" "the audit log:" "$msg"
		# imprintd wrote the same decision to its events database
		for _ in $(seq 50); do
			"$IMPRINT" events --db "$F/events.db" --kind decision --json | jq -r .detail.message |
				grep -qxF "$msg" && break
			sleep 0.1
		done
		"$IMPRINT" events --db "$F/events.db" --kind decision --json | jq -r .detail.message |
			grep -qxF "$msg" || fail "$e: not in the events database: $msg"
		restore_layers
	done
}

@test "protection through imprint-runc: exec=enforce from the signed policy denies a dropped binary in Docker and containerd containers" {
	local cid
	# the same image, now with run-time enforcement, at a higher serial
	"$IMPRINT" policy add base.json --enforcement exec=enforce "docker-archive:$IMAGES/busybox.docker.tar" >/dev/null
	"$IMPRINT" policy sign base.json --key signer.key -o etc/policy.d/base.dsse >/dev/null
	stop_imprintd
	start_imprintd
	cid=$(tdocker run -d --network none --runtime imprint --entrypoint /bin/sleep "$IMAGE" 1000)
	run tdocker exec "$cid" /bin/busybox echo image-ran
	assert_contains image-ran
	run tdocker exec "$cid" sh -c 'cp /bin/busybox /tmp/dropped && /tmp/dropped echo DROPPED-RAN'
	[ "$status" -ne 0 ] && [[ "$output" != *DROPPED-RAN* ]] || fail "docker: a dropped binary ran: $output"
	tdocker rm -f "$cid" >/dev/null
	tctr run -d --fifo-dir "$C_DIR/fifo" --runc-root "$C_STATE/runc" \
		--runc-binary "$(cat "$C_DIR/runtime")" "$IMAGE" "prot-$$" /bin/sleep 1000 </dev/null >/dev/null
	run tctr task exec --exec-id e1 "prot-$$" /bin/busybox echo image-ran
	assert_contains image-ran
	run tctr task exec --exec-id e2 "prot-$$" sh -c 'cp /bin/busybox /tmp/dropped && /tmp/dropped echo DROPPED-RAN'
	[ "$status" -ne 0 ] && [[ "$output" != *DROPPED-RAN* ]] || fail "containerd: a dropped binary ran: $output"
	tctr task kill -s KILL "prot-$$" >/dev/null 2>&1 || true
	for _ in $(seq 50); do tctr task rm "prot-$$" >/dev/null 2>&1 && break; sleep 0.1; done
	tctr container rm "prot-$$" >/dev/null 2>&1 || true
	grep -q "protecting container ${cid:0:12}" "$F/imprintd.log" || fail "$(cat "$F/imprintd.log")"
	grep -q "protecting container prot-$$" "$F/imprintd.log" || fail "$(cat "$F/imprintd.log")"
	# back to verification only, for the tests after this one
	"$IMPRINT" policy add base.json "docker-archive:$IMAGES/busybox.docker.tar" >/dev/null
	"$IMPRINT" policy sign base.json --key signer.key -o etc/policy.d/base.dsse >/dev/null
}

@test "docker-storage: hostile store metadata gets one clear error (exit 2), never a crash or a path outside the root" {
	local R=$F/hostile chain cfg
	chain=$(tdocker image inspect -f '{{index .RootFS.Layers 0}}' "$IMAGE")
	cfg=$(tdocker image inspect -f '{{.Id}}' "$IMAGE")
	# a copy of the store's metadata over the real layer directories
	reset() {
		rm -rf "$R/image"
		mkdir -p "$R/overlay2"
		cp -a "$D_ROOT/image" "$R/"
		mountpoint -q "$R/overlay2" || mount --bind "$D_ROOT/overlay2" "$R/overlay2"
	}
	inspect() {
		run "$IMPRINT" inspect --storage-root "$R" docker-storage:busybox
		assert_error inspect
		assert_contains "$1"
	}
	reset
	run "$IMPRINT" fingerprint --storage-root "$R" docker-storage:busybox -o /dev/null
	assert_status 0 # the control: the copy itself is readable
	echo ../../../../etc >"$R/image/overlay2/layerdb/sha256/${chain#sha256:}/cache-id"
	inspect "cache-id is malformed"
	reset
	echo "sha256:$(printf '%064d' 0)" >"$R/image/overlay2/layerdb/sha256/${chain#sha256:}/diff"
	inspect "does not hold layer 0's diffID"
	reset
	echo ' ' >>"$R/image/overlay2/imagedb/content/sha256/${cfg#sha256:}"
	inspect "does not hash to the image ID"
	reset
	jq '.Repositories[][] = "sha256:../../../etc/passwd"' "$D_ROOT/image/overlay2/repositories.json" \
		>"$R/image/overlay2/repositories.json"
	inspect "maps to a malformed ID"
	reset
	echo '{"Repositories": [' >"$R/image/overlay2/repositories.json"
	inspect "no image 'busybox'"
	reset
	head -c 20000000 /dev/zero >"$R/image/overlay2/repositories.json"
	inspect "repositories.json"
	umount "$R/overlay2"
}

@test "docker: the layerdb redirected to a pristine copy while the mounted layer is tampered is refused" {
	local chain idfile orig copy mode
	chain=$(tdocker image inspect -f '{{index .RootFS.Layers 0}}' "$IMAGE")
	idfile=$D_ROOT/image/overlay2/layerdb/sha256/${chain#sha256:}/cache-id
	orig=$(cat "$idfile")
	copy=$(echo "$orig-copy" | sha256sum | cut -d' ' -f1)
	mkdir -p "$D_ROOT/overlay2/$copy"
	cp -a "$DLAYER" "$D_ROOT/overlay2/$copy/diff"
	echo 'evil::0:0::/:/bin/sh' >>"$DLAYER/etc/passwd" # what Docker mounts (through l/ links)
	echo "$copy" >"$idfile"                         # what the map says
	UNDO="echo $orig >$idfile; rm -rf $D_ROOT/overlay2/$copy"
	# the control: the stored image as the map shows it is the pinned one
	run "$IMPRINT" verify --config "$F/imprint.conf" --storage-root "$D_ROOT" docker-storage:busybox
	assert_status 0
	for mode in imprintd "no imprintd"; do
		[ "$mode" = imprintd ] || stop_imprintd
		refused docker "is not the verified image's" "redirected, $mode"
	done
}

@test "containerd: its content store read by digest gives docker-archive's image ID, diffIDs and root digest" {
	local cs=(--storage-root "$C_ROOT") digest want got
	digest=$(tctr images ls "name==$IMAGE" | awk 'NR == 2 {print $3}')
	want=$("$IMPRINT" inspect --json "docker-archive:$IMAGES/busybox.docker.tar" |
		jq -c '{configDigest, platform, layers: [.layers[] | .diffID]}')
	got=$("$IMPRINT" inspect --json "${cs[@]}" "containerd:$digest" |
		jq -c '{configDigest, platform, layers: [.layers[] | .diffID]}')
	assert_eq "inspect" "$want" "$got"
	# containerd wrote a manifest of its own at import: it is the one read, by its digest
	assert_eq "manifest" "$digest" "$("$IMPRINT" inspect --json "${cs[@]}" "containerd:$digest" | jq -r .manifestDigest)"
	want=$("$IMPRINT" fingerprint "docker-archive:$IMAGES/busybox.docker.tar" -o /dev/null | cut -d' ' -f1)
	got=$("$IMPRINT" fingerprint "${cs[@]}" "containerd:$digest" -o /dev/null | cut -d' ' -f1)
	assert_eq "root digest" "$want" "$got"
	# an entry made from the content store pins the same config, layers and content
	rm -f ca.json cc.json
	"$IMPRINT" policy init cc.json --name c >/dev/null
	"$IMPRINT" policy add cc.json "${cs[@]}" "containerd:$digest" >/dev/null
	"$IMPRINT" policy init ca.json --name a >/dev/null
	"$IMPRINT" policy add ca.json "docker-archive:$IMAGES/busybox.docker.tar" >/dev/null
	assert_eq "policy entry" "$(jq -c '.images[0] | del(.manifestDigest, .name)' ca.json)" \
		"$(jq -c '.images[0] | del(.manifestDigest, .name)' cc.json)"
	# a name is not a digest: containerd keeps names in bbolt, which imprint does not read
	run "$IMPRINT" inspect "${cs[@]}" containerd:busybox
	assert_error inspect
	assert_contains "want a manifest or index digest"
	# a blob that does not hash to its name is refused
	cp -a "$C_ROOT/io.containerd.content.v1.content/blobs/sha256/${digest#sha256:}" "$F/manifest.bak"
	UNDO="cp -a $F/manifest.bak $C_ROOT/io.containerd.content.v1.content/blobs/sha256/${digest#sha256:}"
	echo ' ' >>"$C_ROOT/io.containerd.content.v1.content/blobs/sha256/${digest#sha256:}"
	run "$IMPRINT" inspect "${cs[@]}" "containerd:$digest"
	assert_error inspect
}

@test "docker: a symlink where the runtime mounts, put in the container's layer before start, is refused" {
	local mode id upper
	for mode in imprintd "no imprintd"; do
		[ "$mode" = imprintd ] || stop_imprintd
		tdocker create --name "mnt-$N" --network none --runtime imprint --entrypoint /bin/echo \
			"$IMAGE" container-ran >/dev/null
		id=$(tdocker inspect -f '{{.Id}}' "mnt-$N")
		upper=$D_ROOT/overlay2/$(cat "$D_ROOT/image/overlay2/layerdb/mounts/$id/mount-id")/diff
		# /dev/shm gets a tmpfs: through a symlink it would hide the image's /etc instead
		mkdir -p "$upper/dev"
		ln -s /etc "$upper/dev/shm"
		run tdocker start -a "mnt-$N"
		[ "$status" -ne 0 ] || fail "$mode: started: $output"
		[[ "$output" == *"imprint: refused"*"/dev/shm: where the runtime mounts"* ]] || fail "$mode: $output"
		# the control: the same container without the symlink starts
		rm "$upper/dev/shm"
		run tdocker start -a "mnt-$N"
		[ "$status" -eq 0 ] && [ "$output" = container-ran ] || fail "$mode: clean: $output"
		N=$((N + 1))
	done
}
