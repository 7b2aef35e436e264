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
run "$IMPRINT" fingerprint "oci:$DEMO/busybox:latest" -o "$DEMO/busybox.fp.json"
want=$(jq -r .rootDigest "$DEMO/busybox.fp.json")

step "3. The same digest from podman's stored copy (containers-storage:)"
run "$IMPRINT" fingerprint --storage-root "$DEMO/storage" containers-storage:busybox -o "$DEMO/stored.fp.json"
got=$(jq -r .rootDigest "$DEMO/stored.fp.json")
[ "$got" = "$want" ] && echo "identical: $got"

step "4. Start a container from it through the real engine"
run "${PODMAN[@]}" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
	--entrypoint /bin/sh localhost/busybox:latest -c 'echo "hello from $(uname -s) in a container"; id'

step "5. An attacker with host write access edits the stored image (no pull, no signature check)"
layer=$(jq -r '.[] | select(.names[]? == "localhost/busybox:latest") | .layer' \
	"$DEMO/storage/overlay-images/images.json")
diff="$DEMO/storage/overlay/$layer/diff"
run sh -c "echo 'toor::0:0:root:/root:/bin/sh' >> '$diff/etc/passwd'"
run chmod u+s "$diff/bin/busybox"
run "${PODMAN[@]}" run --rm --network none --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 \
	--entrypoint /bin/sh localhost/busybox:latest -c 'tail -1 /etc/passwd; ls -l /bin/busybox'
echo "(podman starts it happily: nothing looks at the stored bytes again)"

step "6. imprint compares the stored image with its fingerprint"
set +e
run "$IMPRINT" diff --storage-root "$DEMO/storage" "$DEMO/busybox.fp.json" containers-storage:busybox
rc=$?
set -e
echo "exit code $rc (1 = differences)"
[ "$rc" = 1 ] || { echo "demo: expected imprint diff to find the tampering" >&2; exit 1; }

step "Done"
echo "imprint found the edited /etc/passwd and the new setuid bit in the stored layer."
echo "Refusing such a container at start (signed policy + OCI hook) is the next milestone:"
echo "see docs/STATUS.md."
