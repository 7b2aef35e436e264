#!/usr/bin/env bash
# Install everything imprint needs on a fresh Debian 12 machine, build it, then run one job.
#
#   scripts/bootstrap.sh demo    install, build, run the demo (docs/demo.md)
#   scripts/bootstrap.sh test    install, build, run every test (unit, integration, fuzz replay,
#                                sanitizers)
#   scripts/bootstrap.sh build   install and build only
#
# Must run as root (apt-get, podman storage, mounts). Idempotent.
set -euo pipefail
job=${1:-build}
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "$(id -u)" -ne 0 ]; then
	echo "bootstrap: run as root (sudo $0 $job)" >&2
	exit 2
fi

if [ "${IMPRINT_SKIP_INSTALL:-0}" != 1 ]; then
	pkgs=$(grep -v '^#' scripts/packages.txt | grep -v '^$' | tr '\n' ' ')
	missing=$(dpkg-query -W -f='${Package} ${Status}\n' $pkgs 2>/dev/null |
		awk '$NF != "installed" {print $1}' || true)
	# dpkg-query prints nothing for packages it has never heard of: count those as missing too.
	for p in $pkgs; do dpkg-query -W "$p" >/dev/null 2>&1 || missing="$missing $p"; done
	if [ -n "${missing// /}" ]; then
		echo "bootstrap: installing:$missing"
		export DEBIAN_FRONTEND=noninteractive
		# fapolicyd is a benchmark peer (bench/protect.sh starts its own instance). Its package
		# enables and starts the service, whose default rules with an empty trust database
		# deny every exec on the host: mask the unit before it is installed.
		if [ -d /etc/systemd/system ] && [ ! -e /etc/systemd/system/fapolicyd.service ]; then
			ln -s /dev/null /etc/systemd/system/fapolicyd.service
		fi
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
	fi
fi

scripts/build.sh build
case "$job" in
build) ;;
demo) exec scripts/demo.sh ;;
test) exec scripts/test.sh ;;
*) echo "bootstrap: unknown job '$job' (demo, test, build)" >&2; exit 2 ;;
esac
