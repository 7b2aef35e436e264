# Helpers for the tests that run `imprint protect` on a container $CID in the background
# (protect.bats, files.bats): its output goes to out.json and err.txt in the current directory,
# its pins to $PIN.

# protect_start ARGS...: `imprint protect --container $CID ... ARGS` in the background;
# returns once its start line is out (fails if it exits first or takes 20 s).
protect_start() {
	local before
	before=$(grep -c '"protect_started"' out.json 2>/dev/null || true)
	"$IMPRINT" protect --container "$CID" --storage-root "$IMAGES/storage" --pin-dir "$PIN" \
		--json "$@" >>out.json 2>>err.txt &
	PROTECT_PID=$!
	for _ in $(seq 100); do
		[ "$(grep -c '"protect_started"' out.json 2>/dev/null)" -gt "${before:-0}" ] && return 0
		kill -0 "$PROTECT_PID" 2>/dev/null || break
		sleep 0.2
	done
	fail "protect did not start:" "$(cat err.txt)"
}

stop_protect() {
	[ -n "$PROTECT_PID" ] || return 0
	kill -TERM "$PROTECT_PID" 2>/dev/null || true
	wait "$PROTECT_PID" 2>/dev/null || true
	PROTECT_PID=
}

# protect_teardown: stop protect, remove the container and what a test that failed half-way
# may have left pinned (and what the pins attach).
protect_teardown() {
	stop_protect
	tpodman rm -f -t 0 "$CID" >/dev/null 2>&1 || true
	if [ -d "$PIN" ]; then
		rm -f "$PIN"/* && rmdir "$PIN" || true
	fi
}

# cexec SCRIPT: run a shell script in the container; sets status/output like `run`.
cexec() {
	run tpodman exec "$CID" sh -c "$1"
}
