#!/usr/bin/env bash
# The imprint demo (README): build a small real image, fingerprint it, run a container from it
# through podman, tamper with the image as podman stores it, and watch imprint see exactly what
# changed. Everything happens in a private podman store under $DEMO (default
# /var/tmp/imprint-demo), which is rebuilt on every run; the host's podman store is not touched.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
IMPRINT=${IMPRINT:-$top/build/imprint}
DEMO=${DEMO:-/var/tmp/imprint-demo}
PODMAN=(podman --root "$DEMO/storage" --runroot "$DEMO/run" --storage-driver overlay)

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

if [ -d "$DEMO" ]; then
	"${PODMAN[@]}" system reset --force >/dev/null 2>&1 || true
	rm -rf "$DEMO"
fi
mkdir -p "$DEMO"

step "1. Build a real image from Debian's busybox-static (umoci), load it into podman"
"$top/tests/lib/mkimages.sh" "$DEMO" busybox >/dev/null
run "$IMPRINT" inspect "oci:$DEMO/busybox:latest"

step "2. Fingerprint it: every file's type, mode, owner, SHA-256 -> one root digest"
mkdir -p "$DEMO/etc/fingerprints"
run "$IMPRINT" fingerprint "oci:$DEMO/busybox:latest" -o "$DEMO/busybox.fp.json"
want=$(jq -r .rootDigest "$DEMO/busybox.fp.json")
cp "$DEMO/busybox.fp.json" "$DEMO/etc/fingerprints/${want#sha256:}.json"

step "3. The same digest from podman's stored copy (containers-storage:)"
run "$IMPRINT" fingerprint --storage-root "$DEMO/storage" containers-storage:busybox -o "$DEMO/stored.fp.json"
got=$(jq -r .rootDigest "$DEMO/stored.fp.json")
[ "$got" = "$want" ] && echo "identical: $got"

step "4. Sign an allowlist policy that pins it, and install it on the host"
mkdir -p "$DEMO/etc/keys" "$DEMO/etc/policy.d"
run "$IMPRINT" keygen --out "$DEMO/signer"
run "$IMPRINT" policy init "$DEMO/base.json" --name base
run "$IMPRINT" policy add "$DEMO/base.json" "oci:$DEMO/busybox:latest" --image-name localhost/busybox
run "$IMPRINT" policy sign "$DEMO/base.json" --key "$DEMO/signer.key" -o "$DEMO/etc/policy.d/base.dsse"
cp "$DEMO/signer.pub" "$DEMO/etc/keys/"
# The shipped hooks.d file, pointed at the imprint-hook built beside this binary and at this
# demo's store (a real install uses the defaults: /etc/imprint/policy.d, /etc/imprint/keys;
# docs/engines.md).
mkdir -p "$DEMO/hooks.d"
jq --arg bin "$(dirname "$IMPRINT")/imprint-hook" --arg d "$DEMO" '.hook.path = $bin | .hook.args += [
	"--policy-dir", "\($d)/etc/policy.d", "--keys-dir", "\($d)/etc/keys",
	"--state-dir", "\($d)/state", "--fingerprint-dir", "\($d)/etc/fingerprints",
	"--audit-log", "\($d)/audit.jsonl"]' "$top/data/hooks.d/imprint.json" >"$DEMO/hooks.d/imprint.json"
run cat "$DEMO/hooks.d/imprint.json"

RUN=(run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096)
step "5. Start a container through the real engine, with the imprint hook: allowed"
run "${PODMAN[@]}" --hooks-dir "$DEMO/hooks.d" "${RUN[@]}" --entrypoint /bin/sh localhost/busybox:latest \
	-c 'echo "hello from $(uname -s) in a container"; id'

step "6. An attacker with host write access edits the stored image (no pull, no signature check)"
layer=$(jq -r '.[] | select(.names[]? == "localhost/busybox:latest") | .layer' \
	"$DEMO/storage/overlay-images/images.json")
diff="$DEMO/storage/overlay/$layer/diff"
run sh -c "echo 'toor::0:0:root:/root:/bin/sh' >> '$diff/etc/passwd'"
run chmod u+s "$diff/bin/busybox"
echo "Without imprint, podman starts it happily: nothing looks at the stored bytes again."
run "${PODMAN[@]}" "${RUN[@]}" --entrypoint /bin/sh localhost/busybox:latest -c 'tail -1 /etc/passwd'

step "7. With the imprint hook, the tampered image does not start"
set +e
run "${PODMAN[@]}" --hooks-dir "$DEMO/hooks.d" "${RUN[@]}" --entrypoint /bin/sh localhost/busybox:latest \
	-c 'echo "this must not run"'
rc=$?
set -e
echo "podman exit code $rc"
[ "$rc" != 0 ] || { echo "demo: the tampered image started" >&2; exit 1; }

step "8. Why, for a script: imprint verify --json, and the audit log"
set +e
"$IMPRINT" verify --json --storage-root "$DEMO/storage" --policy-dir "$DEMO/etc/policy.d" \
	--keys-dir "$DEMO/etc/keys" --state-dir "$DEMO/state" --fingerprint-dir "$DEMO/etc/fingerprints" \
	containers-storage:localhost/busybox:latest | jq -c '{verdict, reasons: [.reasons[].message]}'
set -e
tail -1 "$DEMO/audit.jsonl" | jq -c '{time, event, container: .container[:12], image, verdict}'

step "Done"
echo "The signed policy pinned the image; the hook checked the stored bytes at container"
echo "creation, named the edited /etc/passwd and the new setuid bit, and podman did not start it."
