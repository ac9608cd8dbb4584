#!/bin/sh
# mmdebstrap --customize-hook for the ssc VM image.  Runs on the host with
# the root of the new rootfs as $1 (proc/sys/dev are mounted in it).
# Part of the image recipe: editing this file changes the cache key.
set -eu

root=$1
suite=${SSC_VM_SUITE:?}
in_root() { chroot "$root" "$@"; }

echo "ssc-vm-$suite" >"$root/etc/hostname"
cat >"$root/etc/hosts" <<HOSTS
127.0.0.1	localhost
127.0.1.1	ssc-vm-$suite
::1		localhost ip6-localhost ip6-loopback
HOSTS

# Root on the virtio disk (no fsck: the image is throwaway), test share via
# virtio-9p.  nofail: a missing share must not block boot; ssc-test.service
# requires the mount and fails (-> poweroff, harness reports) instead.
mkdir -p "$root/mnt/share"
cat >"$root/etc/fstab" <<'FSTAB'
/dev/vda	/		ext4	rw,relatime,errors=remount-ro	0 0
share		/mnt/share	9p	trans=virtio,version=9p2000.L,msize=262144,nofail	0 0
FSTAB

# 9p over virtio: load the modules explicitly (udev would load 9pnet_virtio
# via modalias eventually, but the mount must not race it), and also put them
# into the initramfs.
cat >"$root/etc/modules-load.d/ssc-9p.conf" <<'MODS'
9pnet_virtio
9p
MODS
cat >>"$root/etc/initramfs-tools/modules" <<'MODS'
virtio_pci
virtio_blk
ext4
9pnet_virtio
9p
MODS
# Only the listed modules (+ dependencies): a much smaller initramfs that is
# quicker to load and unpack under TCG than MODULES=most.
cat >"$root/etc/initramfs-tools/conf.d/ssc-vm.conf" <<'CONF'
MODULES=list
COMPRESS=gzip
CONF

# Root has an empty password (no network, throwaway VM): handy when booting
# the image by hand with a console login.
in_root passwd -d root >/dev/null

# Keep the journal in memory and quiet on the console.
mkdir -p "$root/etc/systemd/journald.conf.d"
cat >"$root/etc/systemd/journald.conf.d/ssc-vm.conf" <<'CONF'
[Journal]
Storage=volatile
CONF

# The test runner.  It lives on the share, so the image does not need to be
# rebuilt when scenarios change.  Whatever happens, the VM powers off
# afterwards (ExecStopPost also runs when ExecStart fails); the host harness
# decides success from results/SUITE.done + results/log.
cat >"$root/etc/systemd/system/ssc-test.service" <<'UNIT'
[Unit]
Description=ssc end-to-end test runner (VM test bed)
Requires=mnt-share.mount
After=mnt-share.mount multi-user.target dbus.service dbus.socket systemd-logind.service systemd-user-sessions.service
Wants=dbus.socket systemd-logind.service
ConditionKernelCommandLine=!ssc.notest

[Service]
Type=oneshot
ExecStart=/bin/bash /mnt/share/vm/guest/run-all.sh
ExecStopPost=/bin/systemctl poweroff --no-block
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT
in_root systemctl enable ssc-test.service

# If the share cannot be mounted, ssc-test.service fails on its dependency
# without ever starting (so its ExecStopPost does not run): power off right
# away instead of idling until the host's timeout.
mkdir -p "$root/etc/systemd/system/mnt-share.mount.d"
cat >"$root/etc/systemd/system/mnt-share.mount.d/ssc-vm.conf" <<'UNIT'
[Unit]
OnFailure=poweroff.target
OnFailureJobMode=replace-irreversibly
UNIT

# Nothing periodic or first-boot-ish should run during a test boot.
in_root systemctl mask \
    apt-daily.timer apt-daily-upgrade.timer \
    e2scrub_all.timer e2scrub_reap.service fstrim.timer \
    systemd-firstboot.service \
    getty@tty1.service

in_root update-initramfs -u -k all
