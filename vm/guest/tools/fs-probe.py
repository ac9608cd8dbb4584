#!/usr/bin/python3
"""What a process sees of the filesystem, one stable line per path.

    fs-probe.py [--tag TAG] PATH...

For each PATH, in the order given:

    PATH stat=TYPE:MODE:UID read=R write=W mnt=FLAGS

  stat   os.stat (symbolic links followed): file type, permission bits in octal and the
         owner's uid, or the errno name (then read, write and mnt are left out).
  read   a directory: listdir; anything else: open O_RDONLY|O_NONBLOCK. ok or errno name.
  write  a directory: mkdir and rmdir of the child .fs-probe-TAG; anything else: open
         O_WRONLY|O_APPEND|O_NONBLOCK, nothing written. ok or errno name; a child made
         but not removed shows as mkdir-ok-rmdir-ERRNO.
  mnt    statvfs flags of the mount holding PATH: ro or rw, then nosuid, nodev and noexec
         where set; or the errno name.

Nothing in the output depends on pids, times or the order of a directory's entries,
so two runs that see the same filesystem print the same lines. TAG (default w) keeps
runs going on at once from colliding on the child directory. python3-minimal only.
"""

import errno
import os
import stat
import sys

TYPES = [
    (stat.S_ISDIR, "dir"),
    (stat.S_ISREG, "reg"),
    (stat.S_ISLNK, "lnk"),
    (stat.S_ISCHR, "chr"),
    (stat.S_ISBLK, "blk"),
    (stat.S_ISFIFO, "fifo"),
    (stat.S_ISSOCK, "sock"),
]
FLAGS = [(os.ST_NOSUID, "nosuid"), (os.ST_NODEV, "nodev"), (os.ST_NOEXEC, "noexec")]


def name(e):
    return errno.errorcode.get(e.errno, "E%d" % e.errno)


def kind(mode):
    return next((n for test, n in TYPES if test(mode)), "other")


def read(path, is_dir):
    try:
        if is_dir:
            os.listdir(path)
        else:
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC))
        return "ok"
    except OSError as e:
        return name(e)


def write(path, is_dir, tag):
    if not is_dir:
        try:
            flags = os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK | os.O_CLOEXEC
            os.close(os.open(path, flags))
            return "ok"
        except OSError as e:
            return name(e)
    child = os.path.join(path, ".fs-probe-" + tag)
    try:
        os.mkdir(child, 0o700)
    except OSError as e:
        return name(e)
    try:
        os.rmdir(child)
        return "ok"
    except OSError as e:
        return "mkdir-ok-rmdir-" + name(e)


def mount_flags(path):
    try:
        f = os.statvfs(path).f_flag
    except OSError as e:
        return name(e)
    words = ["ro" if f & os.ST_RDONLY else "rw"]
    words += [w for bit, w in FLAGS if f & bit]
    return ",".join(words)


def probe(path, tag):
    try:
        st = os.stat(path)
    except OSError as e:
        return "%s stat=%s" % (path, name(e))
    is_dir = stat.S_ISDIR(st.st_mode)
    return "%s stat=%s:%04o:%d read=%s write=%s mnt=%s" % (
        path,
        kind(st.st_mode),
        stat.S_IMODE(st.st_mode),
        st.st_uid,
        read(path, is_dir),
        write(path, is_dir, tag),
        mount_flags(path),
    )


def main(argv):
    tag = "w"
    if argv[:1] == ["--tag"] and len(argv) > 1:
        tag, argv = argv[1], argv[2:]
    if not argv or "/" in tag:
        sys.stderr.write("usage: fs-probe.py [--tag TAG] PATH...\n")
        return 2
    for path in argv:
        print(probe(path, tag))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
