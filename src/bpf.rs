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

/// bpf(cmd, attr, sizeof(attr)). Every `T` here is one of the repr(C) structs above,
/// each a prefix of union bpf_attr.
fn bpf<T>(cmd: libc::c_long, attr: &mut T) -> nix::Result<libc::c_long> {
    // SAFETY: `attr` is a live, exclusively borrowed repr(C) struct of exactly the size
    // passed, laid out as the kernel's union bpf_attr prefix for `cmd`; any pointer inside
    // it (prog_ids, info) points to a buffer of the length given next to it, which
    // outlives this call. The kernel reads and writes only within those bounds.
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
    bpf(BPF_PROG_QUERY, &mut query)?;
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
    let fd = bpf(BPF_PROG_GET_FD_BY_ID, &mut get)?;
    // SAFETY: on success BPF_PROG_GET_FD_BY_ID returns a new fd (close-on-exec, as every
    // BPF fd is) that nothing else owns; OwnedFd closes it when this function returns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
    let mut info = ProgInfo::default();
    let mut get_info = InfoByFd {
        bpf_fd: fd.as_raw_fd() as u32,
        info_len: std::mem::size_of::<ProgInfo>() as u32,
        info: &mut info as *mut ProgInfo as u64,
    };
    bpf(BPF_OBJ_GET_INFO_BY_FD, &mut get_info)?;
    let len = info.name.iter().position(|&b| b == 0).unwrap_or(16);
    Ok(String::from_utf8_lossy(&info.name[..len]).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    /// The kernel checks the attr layout (size, zeroed tail) before anything else, and
    /// answers root only: a wrong struct would be EINVAL or EFAULT, not these.
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
