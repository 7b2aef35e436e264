#!/bin/sh
# scripts/install-conf.sh FILE: run by `meson install`. Installs FILE as
# $DESTDIR/etc/imprint/imprint.conf unless a configuration is there already (it is the
# administrator's from then on), and creates the drop-in directory imprint.conf.d/.
set -eu
dir="${DESTDIR:-}/etc/imprint"
install -d -m 0755 "$dir" "$dir/imprint.conf.d"
if [ -e "$dir/imprint.conf" ]; then
	echo "Keeping $dir/imprint.conf"
else
	install -m 0644 "$1" "$dir/imprint.conf"
	echo "Installing $1 to $dir/imprint.conf"
fi
