# tests/lib/engines.bash: a PRIVATE dockerd and a PRIVATE containerd for one test file
# (`load ../lib/engines` after `load ../lib/common`). Nothing is shared with the host's
# defaults: no /var/lib/docker, /var/run/docker.sock, /etc/docker/key.json, /run/containerd/
# containerd.sock, /var/lib/containerd, iptables or bridge. Two things containerd 1.6 hardcodes
# stay on the host: the shims' sockets in /run/containerd/s/<sha256> (hashed from our address,
# removed when the shim exits) and the containers' cgroups (/docker/<id>, /imprint-test/<id>).
#
#   engines_init [DIR]           where both daemons live (ENGINES, exported); default
#                                $BATS_FILE_TMPDIR/e, or a new /var/tmp/imprint-engines-XXXXXX
#                                when that is tmpfs/overlayfs or too long for unix sockets
#   imprint_runc                 print the path of an `imprint-runc` for $IMPRINT (the built
#                                one next to it, else a symlink in $ENGINES/bin)
#   dockerd_start RT [NAME=VALUE...]   dockerd with runtime `imprint` = RT ('' for none) and
#                                $RUNTIME_ARGS (one a line) as its runtimeArgs; the daemon (and
#                                so the shim and the runtime) gets only PATH and the NAME=VALUE
#                                given
#   dockerd_stop                 remove every container, stop dockerd and its containerd
#   tdocker ARGS...              /usr/bin/docker on the private daemon
#   docker_load NAME             load $IMAGES/NAME.docker.tar (localhost/NAME:latest)
#   docker_layer_dir REF [N]     overlay2/<cache-id>/diff of the image's Nth layer (1 = top)
#   docker_init_dir CONTAINER    overlay2/<mount-id>-init/diff of a created container
#   containerd_start RT [NAME=VALUE...]  containerd; RT is what ctr_run passes as --runc-binary
#   containerd_stop              kill and delete every task and container, stop containerd
#   tctr ARGS...                 ctr on the private daemon, namespace imprint-test
#   ctr_import NAME [oci]        import $IMAGES/NAME.docker.tar (or NAME.oci.tar, named
#                                localhost/NAME:latest)
#   ctr_run ARGS...              ctr run --rm with private FIFOs and runc root, through RT
#   ctr_layer_dir REF [N]        snapshots/<n>/fs of the image's Nth layer (1 = top)
#   chain_ids DIFFID...          the layers' chain IDs, bottom first, one a line
#   background LOG CMD...        CMD in the background with no fd of bats' (BG_PID); alive PID
#                                (not a zombie: PID 1 here may not reap), stop_pid PID [SECS]
#   engines_teardown             stop both (whatever state a failed test left), unmount, and
#                                remove a /var/tmp directory engines_init made

DOCKERD=${DOCKERD:-/usr/sbin/dockerd}
DOCKER_CLI=${DOCKER_CLI:-/usr/bin/docker} # never /usr/local/bin/docker: another client
ENGINES_PATH=/usr/sbin:/usr/bin:/sbin:/bin
CTR_NS=imprint-test

engines_init() {
	local d=${1:-$BATS_FILE_TMPDIR/e}
	mkdir -p "$(dirname "$d")"
	case $(stat -f -c %T "$(dirname "$d")") in
	tmpfs | overlayfs | ramfs) d= ;;
	esac
	# the longest socket is $d/docker/exec/containerd/containerd.sock.ttrpc (108 bytes at most)
	if [ -z "$d" ] || [ "${#d}" -gt 56 ]; then
		d=$(mktemp -d /var/tmp/imprint-engines-XXXXXX)
		touch "$d/.remove-at-teardown"
	fi
	mkdir -p "$d"
	export ENGINES=$d
	export D_DIR=$d/docker
	export D_ROOT=$D_DIR/data D_EXEC=$D_DIR/exec D_SOCK=$D_DIR/docker.sock
	export C_DIR=$d/containerd
	export C_ROOT=$C_DIR/root C_STATE=$C_DIR/state C_SOCK=$C_DIR/state/containerd.sock
}

imprint_runc() {
	local built
	built=$(dirname "$IMPRINT")/imprint-runc
	if [ -x "$built" ]; then
		echo "$built"
		return
	fi
	mkdir -p "$ENGINES/bin"
	ln -sfn "$IMPRINT" "$ENGINES/bin/imprint-runc"
	echo "$ENGINES/bin/imprint-runc"
}

# alive PID: the process exists and is not a zombie (PID 1 here may not reap)
alive() {
	[ -r "/proc/$1/stat" ] || return 1
	[ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]
}

# stop_pid PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 20)
stop_pid() {
	local pid=$1
	[ -n "$pid" ] && alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq $((${2:-20} * 10))); do
		alive "$pid" || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	for _ in $(seq 50); do
		alive "$pid" || return 0
		sleep 0.1
	done
}

# kill_shims ADDRESS: SIGKILL the containerd shims serving the containerd at ADDRESS (what
# is left when containerd died under them); found by their exact -address argument
kill_shims() {
	local p args
	for p in /proc/[0-9]*; do
		args=$(tr '\0' '\n' <"$p/cmdline" 2>/dev/null) || continue
		[[ "$args"$'\n' == *containerd-shim*$'\n-address\n'"$1"$'\n'* ]] || continue
		kill -KILL "${p#/proc/}" 2>/dev/null || true
	done
}

# runc_delete_all ROOT: delete -f every container runc keeps state for in ROOT
runc_delete_all() {
	local id
	[ -d "$1" ] || return 0
	for id in $(runc --root "$1" list -q 2>/dev/null); do
		runc --root "$1" delete -f "$id" >/dev/null 2>&1 || true
	done
}

# background LOG CMD...: CMD in the background, its stdin /dev/null, stdout and stderr appended
# to LOG, and no other file descriptor: bats waits for whoever holds its pipes (fd 3 and more),
# and the shims a daemon starts would inherit them. BG_PID is its pid.
background() {
	local log=$1
	shift
	(
		for fd in /proc/"$BASHPID"/fd/*; do
			fd=${fd##*/}
			[ "$fd" -le 2 ] || eval "exec $fd>&-"
		done
		exec "$@"
	) </dev/null >>"$log" 2>&1 &
	BG_PID=$!
}

# daemon_env NAME=VALUE...: check the arguments are assignments
daemon_env() {
	local a
	for a in "$@"; do
		[[ "$a" == [A-Za-z_]*=* ]] || fail "not NAME=VALUE: $a"
	done
}

# wait_for WHAT PID LOG SECONDS CMD...: until CMD succeeds; fail with LOG's end if PID dies
# or SECONDS pass
wait_for() {
	local what=$1 pid=$2 log=$3 secs=$4
	shift 4
	for _ in $(seq $((secs * 10))); do
		"$@" >/dev/null 2>&1 && return 0
		alive "$pid" || fail "$what exited while starting; the end of $log:" "$(tail -40 "$log")"
		sleep 0.1
	done
	fail "$what did not answer within ${secs}s; the end of $log:" "$(tail -40 "$log")"
}

tdocker() {
	DOCKER_CONFIG=$D_DIR/client "$DOCKER_CLI" -H "unix://$D_SOCK" "$@"
}

dockerd_start() {
	local rt=$1
	shift
	daemon_env "$@" || return 1
	[ -n "${ENGINES:-}" ] || engines_init "$BATS_FILE_TMPDIR/e"
	# dockerd 20.10 uses a containerd it finds there instead of starting its own
	[ ! -S /run/containerd/containerd.sock ] ||
		fail "/run/containerd/containerd.sock exists: dockerd would use that containerd, not its own"
	mkdir -p "$D_ROOT" "$D_EXEC" "$D_DIR/client"
	# RUNTIME_ARGS: the runtime's runtimeArgs, one a line (Docker puts them before runc's own)
	jq -n --arg rt "$rt" --arg key "$D_DIR/key.json" --arg args "${RUNTIME_ARGS:-}" \
		'{"deprecated-key-path": $key} + (if $rt == "" then {} else {runtimes: {imprint:
		 ({path: $rt} + if $args == "" then {} else {runtimeArgs: ($args | split("\n"))} end)}}
		 end)' >"$D_DIR/daemon.json"
	background "$D_DIR/dockerd.log" env -i PATH="$ENGINES_PATH" HOME=/root "$@" "$DOCKERD" \
		--data-root "$D_ROOT" --exec-root "$D_EXEC" -H "unix://$D_SOCK" \
		--pidfile "$D_EXEC/dockerd.pid" --config-file "$D_DIR/daemon.json" \
		--iptables=false --ip6tables=false --bridge=none --ip-forward=false --ip-masq=false \
		--storage-driver overlay2
	echo "$BG_PID" >"$D_DIR/dockerd.pid"
	wait_for dockerd "$BG_PID" "$D_DIR/dockerd.log" 60 tdocker version --format '{{.Server.Version}}' ||
		return 1
	# and it runs its own containerd, below its exec root
	[ -S "$D_EXEC/containerd/containerd.sock" ] ||
		fail "dockerd did not start its own containerd in $D_EXEC/containerd:" "$(tail -20 "$D_DIR/dockerd.log")"
}

dockerd_stop() {
	local pid ids
	[ -n "${D_DIR:-}" ] && [ -d "$D_DIR" ] || return 0
	pid=$(cat "$D_DIR/dockerd.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && alive "$pid"; then
		ids=$(tdocker ps -aq 2>/dev/null || true)
		# shellcheck disable=SC2086
		[ -z "$ids" ] || tdocker rm -f $ids >/dev/null 2>&1 || true
		stop_pid "$pid" 30
	fi
	rm -f "$D_DIR/dockerd.pid"
	# what a dockerd that died (or was killed) leaves: its containerd, shims, containers
	runc_delete_all "$D_EXEC/runtime-runc/moby"
	stop_pid "$(cat "$D_EXEC/containerd/containerd.pid" 2>/dev/null || true)" 10
	kill_shims "$D_EXEC/containerd/containerd.sock"
	unmount_below "$D_DIR"
}

docker_load() {
	tdocker load -q -i "$IMAGES/$1.docker.tar" >/dev/null
}

# chain_ids DIFFID...: chain IDs, bottom layer first (the first is its diffID; the next is
# sha256 of "<previous chain ID> <diffID>"), as Docker and containerd name layers
chain_ids() {
	local chain='' d
	for d in "$@"; do
		if [ -z "$chain" ]; then
			chain=$d
		else
			chain=sha256:$(printf '%s %s' "$chain" "$d" | sha256sum | cut -d' ' -f1)
		fi
		echo "$chain"
	done
}

# nth_chain N DIFFID...: the chain ID of the Nth layer from the top
nth_chain() {
	local n=$1
	shift
	chain_ids "$@" | tac | sed -n "${n}p"
}

docker_layer_dir() {
	local chain
	# shellcheck disable=SC2046
	chain=$(nth_chain "${2:-1}" $(tdocker image inspect -f '{{range .RootFS.Layers}}{{.}} {{end}}' "$1"))
	[ -n "$chain" ] || fail "no layer ${2:-1} in $1"
	echo "$D_ROOT/overlay2/$(cat "$D_ROOT/image/overlay2/layerdb/sha256/${chain#sha256:}/cache-id")/diff"
}

docker_init_dir() {
	local id
	id=$(tdocker inspect -f '{{.Id}}' "$1") || return 1
	echo "$D_ROOT/overlay2/$(cat "$D_ROOT/image/overlay2/layerdb/mounts/$id/init-id")/diff"
}

tctr() {
	ctr --address "$C_SOCK" --namespace "$CTR_NS" "$@"
}

containerd_start() {
	local rt=$1
	shift
	daemon_env "$@" || return 1
	[ -n "${ENGINES:-}" ] || engines_init "$BATS_FILE_TMPDIR/e"
	mkdir -p "$C_ROOT" "$C_STATE" "$C_DIR/fifo"
	echo "$rt" >"$C_DIR/runtime"
	# everything private; no CRI (it would want CNI), no snapshotters that cannot work here
	cat >"$C_DIR/config.toml" <<-EOF
		version = 2
		root = "$C_ROOT"
		state = "$C_STATE"
		disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs",
		  "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
		  "io.containerd.snapshotter.v1.devmapper"]
		[grpc]
		  address = "$C_SOCK"
		[ttrpc]
		  address = ""
		[debug]
		  address = ""
		  level = "info"
		[metrics]
		  address = ""
		[plugins]
		  [plugins."io.containerd.internal.v1.opt"]
		    path = "$C_ROOT/opt"
		  [plugins."io.containerd.runtime.v1.linux"]
		    runtime_root = "$C_STATE/runc-v1"
	EOF
	background "$C_DIR/containerd.log" env -i PATH="$ENGINES_PATH" HOME=/root "$@" \
		containerd --config "$C_DIR/config.toml"
	echo "$BG_PID" >"$C_DIR/containerd.pid"
	wait_for containerd "$BG_PID" "$C_DIR/containerd.log" 30 tctr version
}

containerd_stop() {
	local pid id
	[ -n "${C_DIR:-}" ] && [ -d "$C_DIR" ] || return 0
	pid=$(cat "$C_DIR/containerd.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && alive "$pid"; then
		# containerd leaves its shims (and their containers) running when it stops
		for id in $(tctr tasks ls -q 2>/dev/null); do
			tctr tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
		done
		for id in $(tctr tasks ls -q 2>/dev/null); do
			tctr tasks delete -f "$id" >/dev/null 2>&1 || true
		done
		for id in $(tctr containers ls -q 2>/dev/null); do
			tctr containers rm "$id" >/dev/null 2>&1 || true
		done
		stop_pid "$pid" 20
	fi
	rm -f "$C_DIR/containerd.pid"
	runc_delete_all "$C_STATE/runc/$CTR_NS"
	kill_shims "$C_SOCK"
	unmount_below "$C_DIR"
}

ctr_import() {
	if [ "${2:-}" = oci ]; then
		tctr images import --base-name "localhost/$1" "$IMAGES/$1.oci.tar" >/dev/null
	else
		tctr images import "$IMAGES/$1.docker.tar" >/dev/null
	fi
}

# ctr_run [OPTIONS] REF ID [ARGS...]: ctr run --rm through the runtime given to
# containerd_start (--runc-binary), FIFOs and runc state in the private directories
ctr_run() {
	local rt
	rt=$(cat "$C_DIR/runtime")
	tctr run --rm --fifo-dir "$C_DIR/fifo" --runc-root "$C_STATE/runc" \
		${rt:+--runc-binary "$rt"} "$@" </dev/null
}

ctr_layer_dir() {
	local json cfg chain key=imprint-probe-$$ mount
	json=$(tctr images ls "name==$1" | awk 'NR == 2 {print $3}')
	[ -n "$json" ] || fail "no image $1 in containerd"
	json=$(tctr content get "$json")
	if jq -e .manifests >/dev/null <<<"$json"; then
		json=$(tctr content get "$(jq -r '.manifests[0].digest' <<<"$json")")
	fi
	cfg=$(jq -r .config.digest <<<"$json")
	# shellcheck disable=SC2046
	chain=$(nth_chain "${2:-1}" $(tctr content get "$cfg" | jq -r '.rootfs.diff_ids[]'))
	[ -n "$chain" ] || fail "no layer ${2:-1} in $1"
	# a view of the layer is a bind mount of its directory (the snapshotter's numeric id lives
	# in its bolt database, which no shell tool reads). Its mounts are printed by the same call
	# that makes it: an unleased view may be garbage-collected by the next one.
	mount=$(tctr snapshots view --mounts "$key" "$chain")
	tctr snapshots rm "$key" >/dev/null 2>&1 || true
	mount=$(jq -r '.[0] | if .Type == "bind" then .Source
		else (.Options[] | select(startswith("lowerdir=")) | ltrimstr("lowerdir=") | split(":")[0]) end' \
		<<<"$mount")
	[ -d "$mount" ] || fail "no snapshot directory for $chain"
	echo "$mount"
}

engines_teardown() {
	[ -n "${ENGINES:-}" ] || return 0
	dockerd_stop
	containerd_stop
	unmount_below "$ENGINES"
	if [ -e "$ENGINES/.remove-at-teardown" ]; then
		rm -rf --one-file-system "$ENGINES"
	fi
}
