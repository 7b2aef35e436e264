#!/usr/bin/env bash
# scripts/build.sh DIR [meson options...]: configure (once) and build imprint into DIR.
set -euo pipefail
dir=${1:-build}
shift || true
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" --buildtype=debugoptimized "$@" >/dev/null
fi
ninja -C "$dir" >/dev/null
echo "build: $dir/imprint"
