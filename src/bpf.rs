//! Which BPF programs are attached to a cgroup, by name: BPF_PROG_QUERY on the cgroup's
//! fd, then BPF_PROG_GET_FD_BY_ID and BPF_OBJ_GET_INFO_BY_FD for each program. The
//! kernel allows the first two to root only (CAP_NET_ADMIN, CAP_SYS_ADMIN). nix has no
//! bpf(2), hence the raw syscall.

use std::ffi::c_void;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};

use nix::errno::Errno;

/// enum bpf_attach_type.
pub const CGROUP_INET_INGRESS: u32 = 0;
pub const CGROUP_INET_EGRESS: u32 = 1;
pub const CGROUP_DEVICE: u32 = 6;
pub const CGROUP_INET4_BIND: u32 = 8;
pub const CGROUP_INET6_BIND: u32 = 9;

/// enum bpf_cmd.
const BPF_PROG_GET_FD_BY_ID: libc::c_long = 13;
const BPF_OBJ_GET_INFO_BY_FD: libc::c_long = 15;
const BPF_PROG_QUERY: libc::c_long = 16;

/// BPF_CGROUP_MAX_PROGS: no cgroup has more programs of one attach type.
const MAX_PROGS: usize = 64;

/// The BPF_PROG_QUERY part of union bpf_attr (up to prog_attach_flags, Linux 6.0).
#[repr(C)]
#[derive(Default)]
struct ProgQuery {
    target_fd: u32,
    attach_type: u32,
    query_flags: u32,
    attach_flags: u32,
    prog_ids: u64,
    prog_cnt: u32,
    _pad: u32,
    prog_attach_flags: u64,
}

/// The BPF_*_GET_FD_BY_ID part of union bpf_attr.
#[repr(C)]
#[derive(Default)]
struct GetFdById {
    id: u32,
    next_id: u32,
    open_flags: u32,
}

/// The BPF_OBJ_GET_INFO_BY_FD part of union bpf_attr.
#[repr(C)]
#[derive(Default)]
struct InfoByFd {
    bpf_fd: u32,
    info_len: u32,
    info: u64,
}

/// struct bpf_prog_info up to its name; the kernel fills in no more than info_len bytes.
#[repr(C)]
#[derive(Default)]
struct ProgInfo {
    prog_type: u32,
    id: u32,
    tag: [u8; 8],
    jited_prog_len: u32,
    xlated_prog_len: u32,
    jited_prog_insns: u64,
    xlated_prog_insns: u64,
    load_time: u64,
    created_by_uid: u32,
    nr_map_ids: u32,
    map_ids: u64,
    name: [u8; 16],
}

/// bpf(cmd, attr, sizeof(attr)).
///
/// # Safety
///
/// `T` must be the repr(C) struct above that is union bpf_attr's part for `cmd` (the
/// layout test holds them to linux/bpf.h), and any address inside `attr` (prog_ids, info)
/// must point to a live buffer at least as long as the length given next to it: the kernel
/// writes there.
unsafe fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> nix::Result<libc::c_long> {
    // SAFETY: `attr` is a live, exclusively borrowed struct of exactly the size passed, and
    // this function's caller vouches for its layout and for the buffers it points to; the
    // kernel reads and writes only within those bounds.
    let r = unsafe {
        libc::syscall(
            libc::SYS_bpf,
            cmd,
            attr as *mut T as *mut c_void,
            std::mem::size_of::<T>(),
        )
    };
    Errno::result(r)
}

/// The names of the programs attached to this cgroup itself (not inherited from its
/// parents) for `attach_type`.
pub fn attached_programs(cgroup: BorrowedFd, attach_type: u32) -> nix::Result<Vec<String>> {
    let mut ids = [0u32; MAX_PROGS];
    let mut query = ProgQuery {
        target_fd: cgroup.as_raw_fd() as u32,
        attach_type,
        prog_ids: ids.as_mut_ptr() as u64,
        prog_cnt: MAX_PROGS as u32,
        ..ProgQuery::default()
    };
    // SAFETY: ProgQuery is BPF_PROG_QUERY's part; prog_ids points to `ids`, which lives
    // until the end of this function and holds prog_cnt ids.
    unsafe { bpf(BPF_PROG_QUERY, &mut query) }?;
    let count = (query.prog_cnt as usize).min(MAX_PROGS);
    let mut names = Vec::new();
    for &id in &ids[..count] {
        match program_name(id) {
            Ok(name) => names.push(name),
            // Detached since the query: it is not there.
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(names)
}

fn program_name(id: u32) -> nix::Result<String> {
    let mut get = GetFdById {
        id,
        ..GetFdById::default()
    };
    // SAFETY: GetFdById is BPF_PROG_GET_FD_BY_ID's part, and holds no address.
    let fd = unsafe { bpf(BPF_PROG_GET_FD_BY_ID, &mut get) }?;
    // SAFETY: on success BPF_PROG_GET_FD_BY_ID returns a new fd (close-on-exec, as every
    // BPF fd is) that nothing else owns; OwnedFd closes it when this function returns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let mut info = ProgInfo::default();
    let mut get_info = InfoByFd {
        bpf_fd: fd.as_raw_fd() as u32,
        info_len: std::mem::size_of::<ProgInfo>() as u32,
        info: &mut info as *mut ProgInfo as u64,
    };
    // SAFETY: InfoByFd is BPF_OBJ_GET_INFO_BY_FD's part; info points to `info`, which
    // lives until the end of this function and is info_len bytes long.
    unsafe { bpf(BPF_OBJ_GET_INFO_BY_FD, &mut get_info) }?;
    let len = info.name.iter().position(|&b| b == 0).unwrap_or(16);
    Ok(String::from_utf8_lossy(&info.name[..len]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    /// Each struct's offsets and size against linux/bpf.h's, as the C compiler sees them
    /// (linux-libc-dev, which libc6-dev pulls in). The query itself runs as root in the
    /// VMs (180-network-devices); as a user the kernel answers EPERM before it reads attr.
    #[test]
    fn layout_is_linux_bpf_h() {
        use std::mem::{offset_of, size_of};
        let ours: &[(&str, usize)] = &[
            (
                "union bpf_attr, query.target_fd",
                offset_of!(ProgQuery, target_fd),
            ),
            (
                "union bpf_attr, query.attach_type",
                offset_of!(ProgQuery, attach_type),
            ),
            (
                "union bpf_attr, query.query_flags",
                offset_of!(ProgQuery, query_flags),
            ),
            (
                "union bpf_attr, query.attach_flags",
                offset_of!(ProgQuery, attach_flags),
            ),
            (
                "union bpf_attr, query.prog_ids",
                offset_of!(ProgQuery, prog_ids),
            ),
            (
                "union bpf_attr, query.prog_cnt",
                offset_of!(ProgQuery, prog_cnt),
            ),
            (
                "union bpf_attr, query.prog_attach_flags",
                offset_of!(ProgQuery, prog_attach_flags),
            ),
            ("union bpf_attr, prog_id", offset_of!(GetFdById, id)),
            ("union bpf_attr, next_id", offset_of!(GetFdById, next_id)),
            (
                "union bpf_attr, open_flags",
                offset_of!(GetFdById, open_flags),
            ),
            ("union bpf_attr, info.bpf_fd", offset_of!(InfoByFd, bpf_fd)),
            (
                "union bpf_attr, info.info_len",
                offset_of!(InfoByFd, info_len),
            ),
            ("union bpf_attr, info.info", offset_of!(InfoByFd, info)),
            (
                "struct bpf_prog_info, type",
                offset_of!(ProgInfo, prog_type),
            ),
            ("struct bpf_prog_info, id", offset_of!(ProgInfo, id)),
            ("struct bpf_prog_info, tag", offset_of!(ProgInfo, tag)),
            (
                "struct bpf_prog_info, jited_prog_len",
                offset_of!(ProgInfo, jited_prog_len),
            ),
            (
                "struct bpf_prog_info, xlated_prog_len",
                offset_of!(ProgInfo, xlated_prog_len),
            ),
            (
                "struct bpf_prog_info, jited_prog_insns",
                offset_of!(ProgInfo, jited_prog_insns),
            ),
            (
                "struct bpf_prog_info, xlated_prog_insns",
                offset_of!(ProgInfo, xlated_prog_insns),
            ),
            (
                "struct bpf_prog_info, load_time",
                offset_of!(ProgInfo, load_time),
            ),
            (
                "struct bpf_prog_info, created_by_uid",
                offset_of!(ProgInfo, created_by_uid),
            ),
            (
                "struct bpf_prog_info, nr_map_ids",
                offset_of!(ProgInfo, nr_map_ids),
            ),
            (
                "struct bpf_prog_info, map_ids",
                offset_of!(ProgInfo, map_ids),
            ),
            ("struct bpf_prog_info, name", offset_of!(ProgInfo, name)),
        ];
        // Each struct ends where its last field does, with no padding of its own.
        assert_eq!(
            size_of::<ProgQuery>(),
            offset_of!(ProgQuery, prog_attach_flags) + 8
        );
        assert_eq!(
            size_of::<GetFdById>(),
            offset_of!(GetFdById, open_flags) + 4
        );
        assert_eq!(size_of::<InfoByFd>(), offset_of!(InfoByFd, info) + 8);
        assert_eq!(size_of::<ProgInfo>(), offset_of!(ProgInfo, name) + 16);
        let mut c = String::from(
            "#include <stddef.h>\n#include <stdio.h>\n#include <linux/bpf.h>\nint main(void) {\n\
             printf(\"%zu\\n\", sizeof(((struct bpf_prog_info *)0)->name));\n",
        );
        for (field, _) in ours {
            let (ty, member) = field.split_once(", ").unwrap();
            c.push_str(&format!("printf(\"%zu\\n\", offsetof({ty}, {member}));\n"));
        }
        c.push_str("return 0;\n}\n");
        let dir = std::env::temp_dir().join(format!("ssc-bpf-layout-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("layout.c"), c).unwrap();
        let cc = std::process::Command::new("cc")
            .arg("-o")
            .arg(dir.join("layout"))
            .arg(dir.join("layout.c"))
            .output()
            .expect("cc, to read linux/bpf.h");
        assert!(
            cc.status.success(),
            "{}",
            String::from_utf8_lossy(&cc.stderr)
        );
        let out = std::process::Command::new(dir.join("layout"))
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let theirs: Vec<usize> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        assert_eq!(theirs[0], 16, "BPF_OBJ_NAME_LEN");
        for ((field, ours), theirs) in ours.iter().zip(&theirs[1..]) {
            assert_eq!(ours, theirs, "{field}");
        }
        assert_eq!(theirs.len(), ours.len() + 1);
    }

    /// As a user, the kernel answers EPERM: it checks capability before it reads attr.
    #[test]
    fn query_answers_root_and_refuses_others() {
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap();
        let cgroup2 = mounts
            .lines()
            .map(|l| l.split(' ').collect::<Vec<_>>())
            .find(|f| f.get(2) == Some(&"cgroup2"))
            .map(|f| f[1].to_string())
            .expect("a cgroup2 mount");
        let dir = std::fs::File::open(cgroup2).unwrap();
        for t in [CGROUP_INET_INGRESS, CGROUP_DEVICE, CGROUP_INET6_BIND] {
            let got = attached_programs(dir.as_fd(), t);
            if nix::unistd::geteuid().is_root() {
                assert!(got.is_ok(), "{t}: {got:?}");
            } else {
                assert_eq!(got, Err(Errno::EPERM), "{t}");
            }
        }
    }
}
