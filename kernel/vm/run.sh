#!/usr/bin/env bash
# Boots real Debian kernels in QEMU and tests efd_notify inside them.
#
#   kernel/vm/run.sh [--no-install] [--no-deno] [KERNEL...]
#
# KERNEL is a Debian kernel ABI name (e.g. 6.1.0-56-amd64), or "rt" (Debian's
# PREEMPT_RT 6.1), or "debug" (6.12 with KASAN, lockdep, kmemleak and debug
# objects, built by kernel/vm/debug-kernel.sh); by default one 6.1 and one
# 6.12 kernel: the pinned ones below while the archive still has them, else
# the newest of the same series. Per kernel it builds the module against that
# kernel's headers with W=1 (any compiler warning fails) and again with W=2
# (the API probes must agree), packs an initramfs (busybox /init =
# kernel/vm/init.sh, the module, static C test programs, Deno and the project
# with its examples), boots it and judges the EFD-RESULT lines of the serial
# console plus every kernel splat on it (BUG, WARNING, Oops, KASAN, lockdep,
# debug objects, kmemleak, soft lockups, slow hrtimer interrupts, stalls).
#
# Exit status: 0 passed, 1 failed, 77 cannot run here (not root, no apt-get).
#
# Environment:
#   EFD_VM_ACCEL    auto (default: KVM if a probe boots, else TCG), kvm, tcg
#   EFD_VM_TIMEOUT  seconds per boot (default 600)
#   EFD_VM_CACHE    downloads, extracted kernels, KVM probe
#                   (default /var/cache/efdpool-vm)
#   DENO            the Deno binary to put in the guest (default: deno on PATH)
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${EFD_VM_CACHE:-/var/cache/efdpool-vm}
WORK=$REPO/target/kvm
ACCEL=${EFD_VM_ACCEL:-auto}
TIMEOUT=${EFD_VM_TIMEOUT:-600}
PINNED=(6.1.0-56-amd64 6.12.117+deb12-amd64 6.1.0-56-rt-amd64)
# Newest-of-series fallbacks when Debian has moved past the pinned ABI.
SERIES=('6\.1\.0-[0-9]+-amd64' '6\.12\.[0-9]+\+deb12-amd64'
	'6\.1\.0-[0-9]+-rt-amd64')

install=1 deno=1 debug=0 kernels=() want=()
for arg; do
	case $arg in
	--no-install) install=0 ;;
	--no-deno) deno=0 ;;
	rt) want+=(2) ;;
	debug) debug=1 ;;
	-*)
		sed -n '2,/^set /p' "$0" | sed 's/^# \{0,1\}//;$d'
		exit 2
		;;
	*) kernels+=("$arg") ;;
	esac
done

log() { printf '\033[1mvm:\033[0m %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }

cannot_run() {
	log "CANNOT RUN: $*"
	log "the kernel-module VM test needs root and apt-get (Debian/Ubuntu)"
	exit 77
}

[[ $EUID == 0 ]] || cannot_run "not root"
command -v apt-get >/dev/null || cannot_run "no apt-get"
mkdir -p "$CACHE" "$WORK"
# Runs in one checkout share $WORK: a second one would rewrite the initramfs
# and console logs under the first, so it waits its turn.
exec 9>"$WORK/.lock"
if ! flock -n 9; then
	log "another run.sh is using $WORK, waiting for it"
	flock 9
fi

# --- packages ---------------------------------------------------------------

pick_kernels() {
	local i name
	for i in "${want[@]}"; do
		if apt-cache show "linux-image-${PINNED[i]}" >/dev/null 2>&1; then
			kernels+=("${PINNED[i]}")
			continue
		fi
		name=$(apt-cache search --names-only "^linux-image-${SERIES[i]}\$" |
			cut -d' ' -f1 | sed 's/^linux-image-//' | sort -V | tail -1)
		[[ -n $name ]] || die "no kernel matches ${SERIES[i]} in the archive"
		log "pinned ${PINNED[i]} is gone from the archive, using $name"
		kernels+=("$name")
	done
}

t_install=$(now)
tools=(qemu-system-x86_64 busybox cpio zstd xz gcc make bc)
have_all() {
	local t k
	for t in "${tools[@]}"; do command -v "$t" >/dev/null || return 1; done
	[[ -e /usr/lib/x86_64-linux-gnu/libc.a ]] || return 1
	for k in "${kernels[@]}"; do
		[[ $k == debug || -d /usr/src/linux-headers-$k ]] || return 1
	done
}
((${#kernels[@]} || ${#want[@]} || debug)) || want=(0 1)
# tools/ensure_packages.sh's lock: CI builds the debug kernel in the
# background, whose packages may be installing right now.
exec 7>/var/lock/efdpool-apt.lock
flock 7
if ((${#want[@]})) && ((install)); then
	log "apt-get update"
	apt-get update -qq
fi
((${#want[@]} == 0)) || pick_kernels
if ! have_all; then
	((install)) || die "missing packages and --no-install given"
	log "installing packages for ${kernels[*]}"
	pkgs=(qemu-system-x86 busybox-static cpio zstd xz-utils gcc make bc
		libc6-dev)
	for k in "${kernels[@]}"; do
		[[ $k == debug ]] || pkgs+=("linux-headers-$k")
	done
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${pkgs[@]}" >"$WORK/apt.log" 2>&1 ||
		{
			tail -20 "$WORK/apt.log" >&2
			die "apt-get install failed"
		}
fi
exec 7>&-
log "packages ready in $(since "$t_install") s"
if ((debug)); then
	t_debug=$(now)
	DEBUG_DIR=$("$REPO/kernel/vm/debug-kernel.sh") || die "building the debug kernel failed"
	log "debug kernel ready in $(since "$t_debug") s: $DEBUG_DIR"
	kernels+=(debug)
fi

# --- kernels ----------------------------------------------------------------

# The kernel ELF for $1, extracted from its bzImage (installed or downloaded).
vmlinux_of() {
	local k=$1 dir=$CACHE/$1 img
	# The debug kernel's ELF dies before its early console when entered
	# through PVH with its current options (not bisected; the inline-KASAN,
	# -O2, ORC build booted so); its bzImage boots.
	[[ $k == debug ]] && { echo "$DEBUG_DIR/obj/arch/x86/boot/bzImage"; return; }
	mkdir -p "$dir"
	[[ -s $dir/vmlinux ]] && { echo "$dir/vmlinux"; return; }
	img=/boot/vmlinuz-$k
	if [[ ! -e $img ]]; then
		img=$dir/vmlinuz
		if [[ ! -s $img ]]; then
			(cd "$dir" && apt-get download -q "linux-image-$k" >/dev/null 2>&1) ||
				die "apt-get download linux-image-$k failed"
			dpkg-deb --fsys-tarfile "$dir"/linux-image-"$k"_*.deb |
				tar -xO "./boot/vmlinuz-$k" >"$img"
			rm -f "$dir"/linux-image-"$k"_*.deb
		fi
	fi
	if "$REPO/kernel/vm/extract-vmlinux.sh" "$img" "$dir/vmlinux"; then
		echo "$dir/vmlinux"
	else
		log "cannot extract the ELF of $k, booting the slower bzImage"
		echo "$img"
	fi
}

# --- builds -----------------------------------------------------------------

kdir_of() {
	if [[ $1 == debug ]]; then echo "$DEBUG_DIR/obj"; else echo "/usr/src/linux-headers-$1"; fi
}

# Builds out of tree so the checkout stays clean and kernels do not collide:
# W=1 must be warning-free; a W=2 build (whose extra warnings the headers
# themselves trigger) must still build and pick the same APIs.
build_module() {
	local k=$1 dir=$WORK/build-$1 w
	for w in 1 2; do
		rm -rf "$dir-w$w"
		mkdir -p "$dir-w$w"
		cp -r "$REPO"/kernel/{Kbuild,Makefile,*.c,*.h,probes} "$dir-w$w/"
		if ! make -C "$dir-w$w" KDIR="$(kdir_of "$k")" W=$w >"$dir-w$w/build.log" 2>&1; then
			cat "$dir-w$w/build.log" "$dir-w$w/efd_probes.log" >&2
			die "module build (W=$w) failed for $k"
		fi
	done
	if grep -iE 'warning:|error:' "$dir-w1/build.log" >&2; then
		die "module build for $k is not warning-free with W=1"
	fi
	if ! cmp -s "$dir-w1/efd_compat.h" "$dir-w2/efd_compat.h"; then
		diff "$dir-w1/efd_compat.h" "$dir-w2/efd_compat.h" >&2
		die "the API probes for $k disagree between W=1 and W=2 (see efd_probes.log)"
	fi
	rm -rf "$dir"
	mv "$dir-w1" "$dir"
	log "built efd_notify.ko for $k, W=1 clean, W=2 same probes ($(sed -n 's/^#define //p' "$dir/efd_compat.h" | tr '\n' ' '))"
}

build_user() {
	local dir=$WORK/user
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -r "$REPO"/kernel/{Makefile,efd_notify.h,seed,tools} "$dir/"
	make -C "$dir" user >"$dir/build.log" 2>&1 || {
		cat "$dir/build.log" >&2
		die "building the C test programs failed"
	}
}

deno_binary() {
	local d=${DENO:-$(command -v deno || true)}
	[[ -n $d ]] || return 1
	d=$(readlink -f "$d")
	[[ $(head -c4 "$d" | od -An -c | tr -d ' ') == 177ELF ]] || return 1
	echo "$d"
}

# The part of the initramfs shared by all kernels.
stage_common() {
	local s=$WORK/stage d lib
	rm -rf "$s"
	mkdir -p "$s"/{bin,proc,sys,tmp,efd/bin}
	cp "$(command -v busybox)" "$s/bin/busybox"
	install -m 0755 "$REPO/kernel/vm/init.sh" "$s/init"
	cp "$WORK"/user/seed/efd_us "$WORK"/user/tools/efd_{reader,abuse,stress} "$s/efd/bin/"
	if ((deno)); then
		d=$(deno_binary) || die "no Deno binary (set DENO=/path/to/deno, or --no-deno)"
		mkdir -p "$s/usr/bin"
		cp "$d" "$s/usr/bin/deno"
		for lib in $(ldd "$d" | grep -o '/[^ ]*'); do
			mkdir -p "$s$(dirname "$lib")"
			cp -L "$lib" "$s$lib"
		done
		# The demo deflates through the system zlib (cli/libz.ts, dlopen).
		lib=$(ldconfig -p | sed -n 's/.*libz\.so\.1 (libc6,x86-64) => //p' | head -1)
		[[ -n $lib ]] || die "no libz.so.1 (zlib1g) for the demo"
		mkdir -p "$s$(dirname "$lib")"
		cp -L "$lib" "$s$lib"
		(cd "$REPO" && find . \( -path ./.git -o -path ./target -o -path ./.tools \
			-o -path ./node_modules -o -path ./tests -o -path ./bench \) \
			-prune -o \
			\( -name '*.ts' -o -name 'deno.json' -o -name 'deno.lock' \) \
			-print | cpio -pdm --quiet "$s/efd/project")
	fi
	(cd "$s" && find . | cpio -o -H newc -R 0:0 --quiet) >"$WORK/common.cpio"
}

initrd_for() {
	local k=$1 s=$WORK/stage-$1
	rm -rf "$s"
	mkdir -p "$s/efd"
	cp "$WORK/build-$k/efd_notify.ko" "$s/efd/"
	(cd "$s" && find . | cpio -o -H newc -R 0:0 --quiet) >"$WORK/extra-$k.cpio"
	# Linux unpacks concatenated newc archives in order.
	cat "$WORK/common.cpio" "$WORK/extra-$k.cpio" >"$WORK/initrd-$k.cpio"
	echo "$WORK/initrd-$k.cpio"
}

# --- boot -------------------------------------------------------------------

qemu() { # qemu ACCEL KERNEL INITRD LOG TIMEOUT [KERNEL-ARGS]
	local cpu=()
	[[ $1 == kvm ]] && cpu=(-cpu host)
	# Two sockets of one CPU: SeaBIOS's MP table lists only the first logical
	# CPU of each package, so "-smp 2" (one package, two cores) gave the
	# debug kernel, which has no ACPI, one CPU.
	timeout --foreground "$5" qemu-system-x86_64 -accel "$1" "${cpu[@]}" -m 2048 \
		-smp 2,sockets=2,cores=1,threads=1 \
		-nographic -no-reboot -nic none -kernel "$2" -initrd "$3" \
		-append "console=ttyS0 quiet panic=-1 mitigations=off log_buf_len=4M ${6:-}" \
		</dev/null >"$4" 2>&1
}

# KVM here may abort or hang on these kernels: trust it only after it boots.
pick_accel() {
	local probe=$CACHE/kvm-probe-$(uname -r) s=$WORK/probe
	[[ $ACCEL != auto ]] && { echo "$ACCEL"; return; }
	[[ -r /dev/kvm && -w /dev/kvm ]] || { echo tcg; return; }
	if [[ ! -s $probe ]]; then
		rm -rf "$s"
		mkdir -p "$s/bin"
		cp "$(command -v busybox)" "$s/bin/"
		printf '#!/bin/busybox sh\n/bin/busybox echo EFD-PROBE-OK\n/bin/busybox poweroff -f\n' >"$s/init"
		chmod +x "$s/init"
		(cd "$s" && find . | cpio -o -H newc -R 0:0 --quiet) >"$WORK/probe.cpio"
		if qemu kvm "$1" "$WORK/probe.cpio" "$WORK/probe.log" 10 &&
			grep -q EFD-PROBE-OK "$WORK/probe.log"; then
			echo kvm >"$probe"
		else
			echo tcg >"$probe"
		fi
	fi
	cat "$probe"
}

# The RT and debug lanes skip the demo and the examples (init sees
# efd_scope= in its environment): they test the application, which the plain
# 6.1 and 6.12 lanes cover, and cost a minute per boot under TCG.
scope_of() {
	case $1 in
	debug | *-rt-*) echo module ;;
	*) echo full ;;
	esac
}

# Kernel complaints that fail a run: BUG (KASAN, sleeping in atomic context,
# soft lockups), WARNING (lockdep, WARN_ON), debug objects, hung tasks, RCU
# stalls, kmemleak reports, hrtimer interrupts that took too long.
SPLAT='BUG|WARNING|Oops|Call Trace|ODEBUG|INFO: task|rcu: INFO|soft lockup|hrtimer: interrupt took|suspected memory leak|kmemleak-report'

# Judges one console log; prints a summary and returns non-zero on failure.
# A line of "hrtimer: interrupt took N ns" under TCG is reported, not failed,
# in a guest that proved the module's timer soft. N is the time
# hrtimer_interrupt() spent in three passes over the expired hard timers; a
# soft timer, the module's (checked from /proc/timer_list: "hrtimer: the
# module's timer is a soft one"), is only handed to the softirq there, so its
# work never counts in N. What runs there is the kernel's own hard timers
# (the tick, the watchdog, sleepers' wake-ups), tens of microseconds even
# under KASAN; milliseconds are the host descheduling the vCPU thread
# mid-interrupt (seen: 19.7 ms on 6.1-rt, 12.1 ms on 6.12, 9.0 ms on 6.1, all
# during the Deno checks at host load 6 - 10). N alone cannot tell: a hard
# timer with today's bounded work made a 16.8 ms line under the stress. So
# any line under KVM, or in a guest whose module timer is not soft, fails.
# kernel/README.md has the evidence.
host_hiccup() { # host_hiccup ACCEL LOG LINE
	local ns
	[[ $1 == tcg ]] || return 1
	grep -aq "^EFD-RESULT ok hrtimer: the module's timer is a soft one" "$2" || return 1
	grep -q 'hrtimer: interrupt took [0-9]* ns' <<<"$3"
}

judge() {
	local k=$1 logf=$2 accel=$3 fails oks skips bad line
	oks=$(grep -ac '^EFD-RESULT ok ' "$logf" || true)
	fails=$(grep -ac '^EFD-RESULT fail ' "$logf" || true)
	skips=$(grep -ac '^EFD-RESULT skip ' "$logf" || true)
	grep -a '^EFD-RESULT \(fail\|skip\) ' "$logf" | sed "s/^/  $k: /" >&2 || true
	# The whole console: a splat may have scrolled out of the dmesg dump.
	bad=$(grep -aE "$SPLAT" "$logf" || true)
	while IFS= read -r line; do
		host_hiccup "$accel" "$logf" "$line" || continue
		log "$k: not failed, a host hiccup under TCG: $line"
		bad=$(grep -avF "$line" <<<"$bad" || true)
	done <<<"$bad"
	if [[ -n $bad ]]; then
		log "$k: the kernel complained:"
		grep -aE -A12 "$SPLAT" "$logf" | head -80 >&2
		fails=$((fails + 1))
	fi
	if ! grep -aq '^EFD-DONE' "$logf"; then
		log "$k: the guest did not finish; last console lines:"
		tail -40 "$logf" >&2
		fails=$((fails + 1))
	fi
	local needs=("module load" "abuse: " "c reader burst" "seed wakes the C waiter"
		"seed: rmmod while the hrtimer fires" "seed: huge count at load is killable"
		"seed: stops when its eventfd is closed"
		"stress: failed seed load never shows the device"
		"stress: seed without CAP_SYS_PTRACE refused" "stress: channel limit"
		"stress: attach/fire/close/HUP cycles" "stress: threads on one channel"
		"stress: channels at the shortest period" "stress: rmmod racing the last close"
		"hrtimer: the module's timer is a soft one" "module unload")
	[[ $k == debug ]] && needs+=("kmemleak scan clean")
	((deno)) && needs+=("client: errors" "seed wakes a Deno waiter"
		"pool: 100000 burst units" "pool: 1000 hrtimer units" "throughput ratio"
		"pool: 3 rounds of 10000 units, module then writer"
		"pool: 1000 channels attached")
	((deno)) && [[ $(scope_of "$k") == full ]] && needs+=(
		"demo: efd_notify kernel module" "example: kernel_module.ts"
		"example: seed_demo.ts")
	for need in "${needs[@]}"; do
		grep -aq "^EFD-RESULT ok $need" "$logf" ||
			{ log "$k: missing check: $need"; fails=$((fails + 1)); }
	done
	log "$k: $oks ok, $fails not ok, $skips skipped"
	grep -a '^EFD-RESULT ok .*\(rate\|ratio\|hrtimer: hang\)' "$logf" |
		sed "s/^EFD-RESULT ok /  $k: /" >&2 || true
	((fails == 0))
}

t_build=$(now)
build_user
for k in "${kernels[@]}"; do build_module "$k"; done
stage_common
log "builds and initramfs ready in $(since "$t_build") s"

status=0
for k in "${kernels[@]}"; do
	vm=$(vmlinux_of "$k") && initrd=$(initrd_for "$k") || exit 1
	accel=$(pick_accel "$vm")
	logf=$WORK/console-$k.log
	log "booting $k ($accel, $(basename "$vm"))"
	t_boot=$(now)
	qemu "$accel" "$vm" "$initrd" "$logf" "$TIMEOUT" "efd_scope=$(scope_of "$k")" ||
		log "$k: qemu exited with $?"
	tr -d '\r' <"$logf" >"$logf.tmp" && mv "$logf.tmp" "$logf"
	log "$k: guest ran $(since "$t_boot") s (console log: $logf)"
	grep -a '^EFD-STAMP' "$logf" | sed "s/^EFD-STAMP /  $k: uptime /" >&2 || true
	judge "$k" "$logf" "$accel" || status=1
done
((status == 0)) && log "PASS: ${kernels[*]}" || log "FAIL"
exit $status
