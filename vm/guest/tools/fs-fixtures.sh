# shellcheck shell=bash
# Fixtures for the filesystem scenarios (190, 191), sourced into them. Alice owns an
# object in every region a filesystem key touches, so that a read-only mount shows as
# EROFS, not as the EACCES she would get anyway.
#
#   fs_fixtures_make     as root: alice's linger (for /run/user/1000) and the objects
#   fs_fixtures_remove   undoes both
#   FS_PATHS             what fs-probe.py looks at, in a fixed order
#   FS_PROBE             fs-probe.py, copied where every profile of the cases can read it

FS_PROBE=/usr/local/lib/ssc-fs-probe.py
# shellcheck disable=SC2034 # used by the scenarios that source this file
FS_PATHS=(
    /usr /usr/local/share/ssc-probe/file /usr/local/share/ssc-probe/dir /boot
    /etc /etc/ssc-probe/file /etc/ssc-probe/dir
    /var/lib/ssc-probe/file /var/lib/ssc-probe/dir
    /opt/ssc-probe /opt/ssc-probe/file
    /srv /srv/ssc-probe /srv/ssc-probe/file /srv/ssc-probe/100% /srv/ssc-probe/bound
    /srv/ssc-probe/bound/src-marker /srv/ssc-probe/data/data-marker
    /home /home/alice /home/alice/probe-file /home/alice/.ssh /home/alice/.ssh/id_test
    /home/alice/Downloads /home/alice/src /home/alice/src/src-marker /root
    /run/user /run/user/1000 /run/user/1000/ssc-probe /run/ssc-probe
    /tmp /tmp/ssc-probe /var/tmp /var/tmp/ssc-probe /dev/shm
    /proc/sys/kernel/domainname /sys/fs/cgroup
)

fs_fixtures_make() {
    loginctl enable-linger alice
    wait_until 30 test -d /run/user/1000 || return 1
    install -D -m 0755 "$SSC_SHARE/vm/guest/tools/fs-probe.py" "$FS_PROBE"
    local d
    # Root's parents, alice's objects.
    for d in /usr/local/share/ssc-probe /etc/ssc-probe /var/lib/ssc-probe /opt/ssc-probe \
        /srv/ssc-probe /run/ssc-probe /tmp/ssc-probe /var/tmp/ssc-probe; do
        install -d -m 0755 -o alice -g alice "$d" || return 1
    done
    for d in /usr/local/share/ssc-probe /etc/ssc-probe /var/lib/ssc-probe; do
        install -d -m 0755 -o alice -g alice "$d/dir"
        install -m 0644 -o alice -g alice /dev/null "$d/file"
    done
    install -m 0644 -o alice -g alice /dev/null /opt/ssc-probe/file
    install -m 0644 -o alice -g alice /dev/null /srv/ssc-probe/file
    install -m 0644 -o alice -g alice /dev/null /srv/ssc-probe/100%
    install -d -m 0755 -o alice -g alice /srv/ssc-probe/bound
    # A source of binds that is root's: alice may read it, not write it.
    install -d -m 0755 /srv/ssc-probe/data
    printf 'data\n' >/srv/ssc-probe/data/data-marker
    as_user 'umask 022; printf probe >probe-file
        mkdir -p -m 0700 .ssh && printf "SECRET-KEY\n" >.ssh/id_test && chmod 600 .ssh/id_test
        mkdir -p Downloads src && printf src >src/src-marker
        mkdir -p -m 0700 /run/user/1000/ssc-probe' || return 1
}

fs_fixtures_remove() {
    rm -rf /usr/local/share/ssc-probe /etc/ssc-probe /var/lib/ssc-probe /opt/ssc-probe \
        /srv/ssc-probe /run/ssc-probe /tmp/ssc-probe /var/tmp/ssc-probe "$FS_PROBE" \
        /home/alice/probe-file /home/alice/.ssh /home/alice/Downloads /home/alice/src
    loginctl disable-linger alice
    wait_until 30 sh -c '! systemctl -q is-active user@1000.service'
}
