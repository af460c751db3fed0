#!/usr/bin/env bash
# Builds (once per machine) the debug kernel that kernel/vm/run.sh boots as
# "debug": Debian's linux-source-6.12 configured as allnoconfig plus
# kernel/vm/debug.config (KASAN, lockdep, kmemleak, debug objects, atomic
# sleep checks, module support), for QEMU only.
#
#   kernel/vm/debug-kernel.sh            prints the build directory on stdout
#   kernel/vm/debug-kernel.sh --source   only extracts the source (for
#                                        scripts/checkpatch.pl), prints its path
#
# The result lives under $EFD_VM_CACHE (default /var/cache/efdpool-vm), in a
# directory named by a hash of the config fragment, the source package
# version, the compiler and the build recipe (build_kernel below), so a warm
# machine reuses it and a change to any of them rebuilds. The directory holds obj/ (the kernel tree
# external modules build against, object files removed) and vmlinux; the
# extracted source, shared by all configs, is linux-source-VERSION/.
#
# A second run waits for one that is building (CI starts the build in the
# background at its very start, .ci/run, so it overlaps the other tests; the
# debug lane then waits for it), at most EFD_VM_BUILD_WAIT seconds.
#
# Environment: EFD_VM_JOBS (make -j, default: the number of CPUs),
# EFD_VM_BUILD_WAIT (default 2400). Exit status: 0 built or cached, 1 failed,
# 77 cannot run here.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${EFD_VM_CACHE:-/var/cache/efdpool-vm}
JOBS=${EFD_VM_JOBS:-$(nproc)}
WAIT=${EFD_VM_BUILD_WAIT:-2400}
FRAGMENT=$HERE/debug.config
TARBALL=/usr/src/linux-source-6.12.tar.xz

log() { printf '\033[1mdebug-kernel:\033[0m %s\n' "$*" >&2; }

"$HERE/../../tools/ensure_packages.sh" linux-source-6.12 gcc make bc flex bison \
	libelf-dev libssl-dev xz-utils cpio || exit $?

# The recipe: configure and build in $1 (obj/ inside it) from source tree $2.
# The cache key hashes this function's text, not the rest of the script.
build_kernel() {
	local dir=$1 src=$2 missing m
	m=(make -C "$src" O="$dir/obj" -j"$JOBS")
	"${m[@]}" KCONFIG_ALLCONFIG="$FRAGMENT" allnoconfig >"$dir/config.log" 2>&1 ||
		{ tail -30 "$dir/config.log" >&2; return 1; }
	# Kconfig drops a symbol whose dependencies are unmet without a word.
	missing=$(grep -E '^CONFIG_[A-Z0-9_]+=' "$FRAGMENT" | while read -r want; do
		grep -qxF "$want" "$dir/obj/.config" || echo "$want"
	done)
	[[ -z $missing ]] || { log "the config lost: $(echo $missing)"; return 1; }
	log "building ($JOBS jobs) in $dir"
	"${m[@]}" all >"$dir/build.log" 2>&1 ||
		{ grep -E 'error|Error' "$dir/build.log" | head -30 >&2; return 1; }
	cp "$dir/obj/vmlinux" "$dir/vmlinux"
	# External modules need the configured tree, its tools and Module.symvers,
	# not the kernel's objects.
	find "$dir/obj" -name '*.o' -not -path "$dir/obj/scripts/*" \
		-not -path "$dir/obj/tools/*" -delete
	rm -f "$dir/obj/vmlinux" "$dir/obj/vmlinux.a"
}

version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
key=$( { cat "$FRAGMENT"; declare -f build_kernel; echo "$version"; gcc --version | head -1; } |
	sha256sum | cut -c1-16)
dir=$CACHE/debug-6.12-$key
mkdir -p "$CACHE"

# The source tree is shared by every config of one source version; its own
# lock, so --source does not wait for a build.
src=$CACHE/linux-source-$version
exec 8>"$src.lock"
flock 8
if [[ ! -e $src/.efd-extracted ]]; then
	log "extracting linux-source $version"
	rm -rf "$src"
	mkdir -p "$src"
	tar -xJf "$TARBALL" -C "$src" --strip-components=1
	touch "$src/.efd-extracted"
fi
exec 8>&-
if [[ ${1:-} == --source ]]; then
	echo "$src"
	exit 0
fi

exec 9>"$CACHE/debug-kernel.lock"
if ! flock -n 9; then
	log "another run is building the debug kernel, waiting (at most $WAIT s)"
	flock -w "$WAIT" 9 || { log "gave up waiting after $WAIT s"; exit 1; }
fi

if [[ -e $dir/ready ]]; then
	log "cached: $dir (built in $(cat "$dir/build-seconds") s)"
	echo "$dir"
	exit 0
fi
t0=$(date +%s)
# Built in place (an O= tree records its absolute paths); "ready" marks it done.
rm -rf "$dir"
mkdir -p "$dir/obj"
build_kernel "$dir" "$src"
echo "$(($(date +%s) - t0))" >"$dir/build-seconds"
# CPU seconds (user, sys) of the build's processes: comparable across loads.
times >"$dir/times" && tail -1 "$dir/times" >"$dir/build-cpu"
touch "$dir/ready"
log "built in $(cat "$dir/build-seconds") s ($(cat "$dir/build-cpu") CPU user/sys, $(nproc) CPUs, -j$JOBS, load $(cut -d' ' -f1-3 /proc/loadavg)): $dir"
echo "$dir"
