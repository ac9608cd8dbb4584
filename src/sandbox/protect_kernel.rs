//! The mount half of ProtectKernelTunables=, ProtectKernelModules=, ProtectKernelLogs= and
//! ProtectControlGroups= (their system call half is seccomp's): systemd's tables, which
//! setup_namespace() appends in this order after PrivateDevices= and before ProtectHome=.
//!
//! The tables are the same in v252 and v257 but for the modules one (below). v258 moves
//! /sys/fs/bpf to PrivateBPF=; ssc follows v252 and v257. ProcSubset= and the user
//! manager's ignore_protect_paths, which make more entries skippable, are not ssc's.

use super::plan::{Mode, Origin, Settings};

/// One table entry: path, what becomes of it, whether it is skipped if missing.
type Entry = (&'static str, Mode, bool);

/// protect_kernel_tunables_proc_table, then protect_kernel_tunables_sys_table. /sys stays
/// read-only with everything beneath but /sys/fs/cgroup (ProtectControlGroups= decides it)
/// and /sys/fs/selinux, which are implicitly read-write: kept out of /sys's remount.
const TUNABLES: [Entry; 20] = [
    ("/proc/acpi", Mode::ReadOnly, true),
    ("/proc/apm", Mode::ReadOnly, true),
    ("/proc/asound", Mode::ReadOnly, true),
    ("/proc/bus", Mode::ReadOnly, true),
    ("/proc/fs", Mode::ReadOnly, true),
    ("/proc/irq", Mode::ReadOnly, true),
    ("/proc/kallsyms", Mode::Inaccessible, true),
    ("/proc/kcore", Mode::Inaccessible, true),
    ("/proc/latency_stats", Mode::ReadOnly, true),
    ("/proc/mtrr", Mode::ReadOnly, true),
    ("/proc/scsi", Mode::ReadOnly, true),
    ("/proc/sys", Mode::ReadOnly, true),
    ("/proc/sysrq-trigger", Mode::ReadOnly, true),
    ("/proc/timer_stats", Mode::ReadOnly, true),
    ("/sys", Mode::ReadOnly, false),
    ("/sys/fs/bpf", Mode::ReadOnly, true),
    ("/sys/fs/cgroup", Mode::ReadWriteImplicit, false),
    ("/sys/fs/selinux", Mode::ReadWriteImplicit, true),
    ("/sys/kernel/debug", Mode::ReadOnly, true),
    ("/sys/kernel/tracing", Mode::ReadOnly, true),
];

/// protect_kernel_modules_table. v257 has /usr/lib/modules only; v252 built with split-usr
/// (HAVE_SPLIT_USR) has /lib/modules first. ssc lists both, so that where /lib is a
/// directory of its own, its modules are hidden too. Where /lib is root's link to usr/lib
/// (merged /usr: Debian 12 and 13), /lib/modules is /usr/lib/modules, and build.rs skips
/// the entry, whose path crosses a link, because the second entry hides where it leads;
/// systemd follows the link and hides that same directory twice.
const MODULES: [Entry; 2] = [
    ("/lib/modules", Mode::Inaccessible, true),
    ("/usr/lib/modules", Mode::Inaccessible, true),
];

/// protect_kernel_logs_proc_table, then protect_kernel_logs_dev_table.
const LOGS: [Entry; 2] = [
    ("/proc/kmsg", Mode::Inaccessible, true),
    ("/dev/kmsg", Mode::Inaccessible, true),
];

/// ProtectControlGroups=yes: an entry of its own in v252, protect_control_groups_yes_table
/// once the key also took private and strict. /sys/fs/cgroup read-only, which outranks the
/// tunables' implicit read-write entry for it.
const CONTROL_GROUPS: [Entry; 1] = [("/sys/fs/cgroup", Mode::ReadOnly, false)];

/// The entries of the four settings `s` turns on, in systemd's order, as (path, mode,
/// ignore if missing, origin).
pub fn entries(s: &Settings) -> Vec<(&'static str, Mode, bool, &Origin)> {
    [
        (&s.protect_kernel_tunables, &TUNABLES[..]),
        (&s.protect_kernel_modules, &MODULES[..]),
        (&s.protect_kernel_logs, &LOGS[..]),
        (&s.protect_control_groups, &CONTROL_GROUPS[..]),
    ]
    .into_iter()
    .filter_map(|(origin, table)| origin.as_ref().map(|o| (o, table)))
    .flat_map(|(origin, table)| {
        table
            .iter()
            .map(move |(path, mode, ignore)| (*path, mode.clone(), *ignore, origin))
    })
    .collect()
}
