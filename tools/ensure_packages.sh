#!/usr/bin/env bash
# Install the named Debian packages if any is missing, so every test that needs
# a system tool (pigz, nats-server, qemu, …) works on a fresh machine.
#
# Usage: tools/ensure_packages.sh PKG...
# Exit status: 0 installed or already there, 1 install failed,
# 77 cannot install here (not root, or no apt-get) with the reason on stderr.
#
# Several test files (and several people on one machine) may call this at once:
# a lock serialises them, `apt-get update` runs at most once an hour, and dpkg's
# own lock is waited for rather than failed on.
set -euo pipefail
(($#)) || { echo "usage: $0 PKG..." >&2; exit 2; }

missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
((${#missing[@]})) || exit 0

command -v apt-get >/dev/null || { echo "no apt-get to install: ${missing[*]}" >&2; exit 77; }
((EUID == 0)) || { echo "not root, cannot install: ${missing[*]}" >&2; exit 77; }

exec 9>/var/lock/efdpool-apt.lock
flock 9
stamp=/var/lib/apt/periodic/efdpool-update-stamp
if [[ ! -e $stamp ]] || [[ -n $(find "$stamp" -mmin +60) ]]; then
	apt-get update -qq -o DPkg::Lock::Timeout=600 >&2
	mkdir -p "${stamp%/*}" && touch "$stamp"
fi
echo "installing: ${missing[*]}" >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	-o DPkg::Lock::Timeout=600 "${missing[@]}" >&2
