#!/bin/busybox sh
# The guest's /init, packed by kernel/vm/run.sh. It runs the module-only
# checks (C programs, busybox) first so they are judged even when the Deno
# part cannot run, then kernel/vm/guest.ts in a single Deno process, then
# dumps the kernel log for the host to scan, and powers off.
#
# Every check prints one line that the host reads from the serial console:
#   EFD-RESULT ok|fail|skip NAME [:: DETAIL]

/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
export PATH=/efd/bin:/bin:/usr/bin HOME=/tmp DENO_DIR=/tmp/deno NO_COLOR=1

KO=/efd/efd_notify.ko
DEV=/dev/efd_notify
KMEMLEAK=/sys/kernel/debug/kmemleak

result() {
	echo "EFD-RESULT $1 $2${3:+ :: $3}"
}

check() { # check NAME DETAIL COMMAND...
	name=$1 detail=$2
	shift 2
	if "$@"; then result ok "$name" "$detail"; else result fail "$name" "$detail"; fi
}

loaded() { [ -d /sys/module/efd_notify ]; }

unload() { ! loaded || rmmod efd_notify; }

# wait_for FILE PATTERN: up to 20 s (TCG is slow) for PATTERN to show in FILE.
wait_for() {
	i=0
	while ! grep -q "$2" "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 200 ] || return 1
		sleep 0.1
	done
}

# wait_exit PID: up to 20 s for PID to exit; returns its status.
wait_exit() {
	i=0
	while kill -0 "$1" 2>/dev/null && [ $i -lt 200 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	if kill -0 "$1" 2>/dev/null; then
		kill "$1"
		return 1
	fi
	wait "$1"
}

# A program that printed "efd=F pid=P": sets EFD and PID from its output.
target_of() {
	wait_for "$1" '^efd=' || return 1
	set -- $(sed -n 's/^efd=\([0-9]*\) pid=\([0-9]*\)$/\1 \2/p' "$1")
	EFD=$1 PID=$2
}

stamp() { echo "EFD-STAMP $(cut -d' ' -f1 /proc/uptime) $1"; }

load_checks() {
	check "module load" "" insmod $KO
	check "device node" "$(ls -l $DEV 2>&1)" [ -c $DEV ]
	unload
	insmod $KO mode=0666
	check "mode=0666 widens the node" "$(stat -c %a $DEV 2>&1)" \
		[ "$(stat -c %a $DEV 2>/dev/null)" = 666 ]
	unload
	for bad in "pid=999999 efd=0" "pid=1 efd=0" "pid=1 efd=999" "pid=1" \
		"efd=3" "pid=1 efd=0 count=0" "mode=01777"; do
		# shellcheck disable=SC2086 # split into module parameters
		if insmod $KO $bad 2>/dev/null || loaded; then
			result fail "insmod refuses $bad"
			unload
		else
			result ok "insmod refuses $bad"
		fi
	done
	insmod $KO
}

c_checks() {
	efd_abuse >/tmp/abuse.out 2>&1
	sed -n -e 's/^ok - \(.*\)/EFD-RESULT ok abuse: \1/p' \
		-e 's/^not ok - \([^:]*\): \(.*\)/EFD-RESULT fail abuse: \1 :: \2/p' \
		/tmp/abuse.out
	grep -q '^efd_abuse: 0 failure' /tmp/abuse.out ||
		result fail "abuse: completed" "$(tail -3 /tmp/abuse.out)"
	for run in "burst 100000" "write 1000" "periodic 1000 100000"; do
		# shellcheck disable=SC2086 # split into arguments
		out=$(efd_reader $run 2>&1)
		check "c reader ${run%% *}" "$out" [ $? = 0 ]
	done
}

seed_c_waiter() {
	unload
	efd_us >/tmp/us.out 2>&1 &
	waiter=$!
	if ! target_of /tmp/us.out; then
		result fail "seed wakes the C waiter" "no efd= line"
		return
	fi
	# One unit: since 6.8 a load's units arrive one eventfd_signal() at a
	# time, and efd_us reads once, as soon as select() wakes it.
	insmod $KO pid=$PID efd=$EFD count=1
	wait_exit $waiter
	check "seed wakes the C waiter" "$(tr '\n' ' ' </tmp/us.out)" \
		grep -q 'read value=1$' /tmp/us.out
	unload
}

# stopped_early FIRED READ: the module stopped mid-run and every unit it
# reported reached the eventfd.
stopped_early() {
	[ -n "$1" ] && [ "$1" = "$2" ] && [ "$1" -gt 0 ] && [ "$1" -lt 1000000 ] &&
		! loaded
}

# held_target SECONDS OUT: module unloaded, an efd_reader holding an eventfd
# for SECONDS (output in OUT); sets HOLDER, PID and EFD.
held_target() {
	unload
	efd_reader hold "$1" >"$2" 2>&1 &
	HOLDER=$!
	target_of "$2"
}

seed_rmmod_while_firing() {
	held_target 3 /tmp/hold.out
	insmod $KO pid=$PID efd=$EFD count=1000000 period_us=100
	sleep 1
	rmmod efd_notify
	wait_exit $HOLDER
	fired=$(dmesg | sed -n 's/.*seed: stopped after \([0-9]*\) of 1000000.*/\1/p' |
		tail -1)
	held=$(sed -n 's/^held value=//p' /tmp/hold.out)
	check "seed: rmmod while the hrtimer fires" "fired=$fired read=$held" \
		stopped_early "$fired" "$held"
}

# The C stress program's "ok - NAME :: DETAIL" lines as results.
stress() {
	efd_stress "$@" >/tmp/stress.out 2>&1
	rc=$?
	sed -n -e 's/^ok - \(.*\)/EFD-RESULT ok stress: \1/p' \
		-e 's/^not ok - \([^:]*\): \(.*\)/EFD-RESULT fail stress: \1 :: \2/p' \
		/tmp/stress.out
	[ $rc = 0 ] || grep -q '^not ok' /tmp/stress.out ||
		result fail "stress: $1" "exit $rc: $(tail -3 /tmp/stress.out | tr '\n' ' ')"
}

# Lifecycle and load: the module unloaded for the first two (they load it).
stress_checks() {
	unload
	stress loadrace $KO 30
	stress nocap $KO
	insmod $KO
	stress limit 128
	stress cycles 3000
	stress threads 4 3000
	stress channels 16 2000
	stress rmmod $KO 20
	loaded || insmod $KO
}

# A huge seed count at load (period_us=0), with the soft-lockup threshold
# at 2 s: insmod must reschedule while it signals and die when killed.
seed_huge() {
	unload
	thresh=/proc/sys/kernel/watchdog_thresh
	old=$(cat $thresh 2>/dev/null)
	[ -n "$old" ] && echo 1 >$thresh
	held_target 30 /tmp/huge.out
	insmod $KO pid=$PID efd=$EFD count=1000000000 2>/dev/null &
	loader=$!
	sleep 5
	kill -9 $loader 2>/dev/null
	wait_exit $loader
	ok=$?
	[ -n "$old" ] && echo "$old" >$thresh
	how=$(dmesg | grep -o 'seed: \(killed after\|signalled\) [0-9]* .*' | tail -1)
	check "seed: huge count at load is killable" "${how:-no seed line}" \
		[ $ok != 1 ]
	kill $HOLDER 2>/dev/null
	unload
}

# The seed stops firing when its target closes the eventfd (EPOLLHUP).
seed_hup() {
	held_target 1 /tmp/hup.out
	insmod $KO pid=$PID efd=$EFD count=1000000 period_us=100
	wait_exit $HOLDER
	sleep 1
	rmmod efd_notify
	line=$(dmesg | grep -o 'seed: stopped after .*' | tail -1)
	check "seed: stops when its eventfd is closed" "$line" \
		eval 'case "$line" in *"eventfd was closed"*) true ;; *) false ;; esac'
}

# The module's hrtimer must sit on a soft clock base (4 - 7 in
# /proc/timer_list): hrtimer_interrupt() only raises the softirq for those
# and never runs or times their callbacks, so the module's work per expiry
# cannot be what an "hrtimer: interrupt took" line measures. The seed's
# channel is armed for 60 s so the timer is surely queued when read.
soft_bases() {
	[ $# -gt 0 ] || return 1
	for b; do [ "$b" -ge 4 ] || return 1; done
}

timer_is_soft() {
	held_target 3 /tmp/soft.out
	insmod $KO pid=$PID efd=$EFD count=2 period_us=60000000
	bases=$(awk '/^ clock [0-9]+:/ { c = $2 + 0 } /efd_tick/ { print c }' \
		/proc/timer_list | tr '\n' ' ')
	unload
	wait_exit $HOLDER
	check "hrtimer: the module's timer is a soft one" "clock base(s) ${bases:-none}" \
		soft_bases $bases
}

# Every hrtimer_interrupt() that gave up after three passes, all CPUs (the
# console shows only the first, pr_warn_once): a figure for the host to log.
hrtimer_hangs() {
	awk '$1 == ".nr_hangs" { n += $3 }
		$1 == ".max_hang_time" && $3 > m { m = $3 }
		END { printf "nr_hangs %d, max_hang_time %d ns", n, m }' /proc/timer_list
}

deno_checks() {
	guest=/efd/project/kernel/vm/guest.ts
	if [ ! -x /usr/bin/deno ] || [ ! -f $guest ]; then
		result skip "deno checks" "no deno or guest.ts in the initramfs"
		return
	fi
	unload
	insmod $KO
	# efd_scope=module on the kernel command line: no demo, no examples.
	(cd /efd/project && EFD_SCOPE=${efd_scope:-full} deno run --allow-all --cached-only $guest)
	check "deno checks exited 0" "" [ $? = 0 ]
}

# On a kernel with kmemleak (the debug lane): forget what boot leaked, so the
# final scan reports only what the checks leaked.
kmemleak_reset() {
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	[ -w $KMEMLEAK ] || return 0
	echo scan >$KMEMLEAK
	echo clear >$KMEMLEAK
}

# Objects must stay unreferenced for 5 s and through two scans to be reported.
kmemleak_scan() {
	[ -w $KMEMLEAK ] || return 0
	sleep 6
	echo scan >$KMEMLEAK
	echo scan >$KMEMLEAK
	cat $KMEMLEAK >/tmp/kmemleak
	check "kmemleak scan clean" "$(grep -c '^unreferenced object' /tmp/kmemleak) object(s)" \
		[ ! -s /tmp/kmemleak ]
	sed 's/^/kmemleak-report: /' /tmp/kmemleak | head -80
}

echo "EFD-BOOT $(uname -r)"
kmemleak_reset
stamp boot
load_checks
stamp load
c_checks
stamp c
seed_c_waiter
stamp seed
seed_rmmod_while_firing
stamp rmmod
seed_huge
seed_hup
timer_is_soft
stamp seed-limits
stress_checks
stamp stress
deno_checks
stamp deno
unload
check "module unload" "" [ ! -d /sys/module/efd_notify ]
result ok "hrtimer: hang statistics" "$(hrtimer_hangs)"
kmemleak_scan
echo "EFD-DMESG-BEGIN"
dmesg
echo "EFD-DMESG-END"
echo "EFD-DONE"
# QEMU runs with -no-reboot, so this ends it, with or without ACPI.
reboot -f
