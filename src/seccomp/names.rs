//! Names systemd's seccomp settings take that are the kernel's, not systemd's: errno
//! names, address families and namespace types. The errno and address-family tables were
//! generated on x86-64 from glibc 2.36's headers, as systemd generates its own
//! (src/basic/generate-errno-list.sh, generate-af-list.sh):
//!
//!     cpp -dM -include errno.h - </dev/null        # E* names, aliases resolved
//!     cpp -dM -include sys/socket.h - </dev/null   # AF_* names but AF_UNSPEC and AF_MAX

/// Every errno name Linux's <errno.h> defines on x86-64, aliases included, as systemd's
/// errno_from_name() knows them (`cpp -dM -include errno.h`, glibc 2.36, Linux 6.1).
pub const ERRNO: &[(&str, i32)] = &[
    ("EPERM", 1),
    ("ENOENT", 2),
    ("ESRCH", 3),
    ("EINTR", 4),
    ("EIO", 5),
    ("ENXIO", 6),
    ("E2BIG", 7),
    ("ENOEXEC", 8),
    ("EBADF", 9),
    ("ECHILD", 10),
    ("EAGAIN", 11),
    ("EWOULDBLOCK", 11),
    ("ENOMEM", 12),
    ("EACCES", 13),
    ("EFAULT", 14),
    ("ENOTBLK", 15),
    ("EBUSY", 16),
    ("EEXIST", 17),
    ("EXDEV", 18),
    ("ENODEV", 19),
    ("ENOTDIR", 20),
    ("EISDIR", 21),
    ("EINVAL", 22),
    ("ENFILE", 23),
    ("EMFILE", 24),
    ("ENOTTY", 25),
    ("ETXTBSY", 26),
    ("EFBIG", 27),
    ("ENOSPC", 28),
    ("ESPIPE", 29),
    ("EROFS", 30),
    ("EMLINK", 31),
    ("EPIPE", 32),
    ("EDOM", 33),
    ("ERANGE", 34),
    ("EDEADLK", 35),
    ("EDEADLOCK", 35),
    ("ENAMETOOLONG", 36),
    ("ENOLCK", 37),
    ("ENOSYS", 38),
    ("ENOTEMPTY", 39),
    ("ELOOP", 40),
    ("ENOMSG", 42),
    ("EIDRM", 43),
    ("ECHRNG", 44),
    ("EL2NSYNC", 45),
    ("EL3HLT", 46),
    ("EL3RST", 47),
    ("ELNRNG", 48),
    ("EUNATCH", 49),
    ("ENOCSI", 50),
    ("EL2HLT", 51),
    ("EBADE", 52),
    ("EBADR", 53),
    ("EXFULL", 54),
    ("ENOANO", 55),
    ("EBADRQC", 56),
    ("EBADSLT", 57),
    ("EBFONT", 59),
    ("ENOSTR", 60),
    ("ENODATA", 61),
    ("ETIME", 62),
    ("ENOSR", 63),
    ("ENONET", 64),
    ("ENOPKG", 65),
    ("EREMOTE", 66),
    ("ENOLINK", 67),
    ("EADV", 68),
    ("ESRMNT", 69),
    ("ECOMM", 70),
    ("EPROTO", 71),
    ("EMULTIHOP", 72),
    ("EDOTDOT", 73),
    ("EBADMSG", 74),
    ("EOVERFLOW", 75),
    ("ENOTUNIQ", 76),
    ("EBADFD", 77),
    ("EREMCHG", 78),
    ("ELIBACC", 79),
    ("ELIBBAD", 80),
    ("ELIBSCN", 81),
    ("ELIBMAX", 82),
    ("ELIBEXEC", 83),
    ("EILSEQ", 84),
    ("ERESTART", 85),
    ("ESTRPIPE", 86),
    ("EUSERS", 87),
    ("ENOTSOCK", 88),
    ("EDESTADDRREQ", 89),
    ("EMSGSIZE", 90),
    ("EPROTOTYPE", 91),
    ("ENOPROTOOPT", 92),
    ("EPROTONOSUPPORT", 93),
    ("ESOCKTNOSUPPORT", 94),
    ("ENOTSUP", 95),
    ("EOPNOTSUPP", 95),
    ("EPFNOSUPPORT", 96),
    ("EAFNOSUPPORT", 97),
    ("EADDRINUSE", 98),
    ("EADDRNOTAVAIL", 99),
    ("ENETDOWN", 100),
    ("ENETUNREACH", 101),
    ("ENETRESET", 102),
    ("ECONNABORTED", 103),
    ("ECONNRESET", 104),
    ("ENOBUFS", 105),
    ("EISCONN", 106),
    ("ENOTCONN", 107),
    ("ESHUTDOWN", 108),
    ("ETOOMANYREFS", 109),
    ("ETIMEDOUT", 110),
    ("ECONNREFUSED", 111),
    ("EHOSTDOWN", 112),
    ("EHOSTUNREACH", 113),
    ("EALREADY", 114),
    ("EINPROGRESS", 115),
    ("ESTALE", 116),
    ("EUCLEAN", 117),
    ("ENOTNAM", 118),
    ("ENAVAIL", 119),
    ("EISNAM", 120),
    ("EREMOTEIO", 121),
    ("EDQUOT", 122),
    ("ENOMEDIUM", 123),
    ("EMEDIUMTYPE", 124),
    ("ECANCELED", 125),
    ("ENOKEY", 126),
    ("EKEYEXPIRED", 127),
    ("EKEYREVOKED", 128),
    ("EKEYREJECTED", 129),
    ("EOWNERDEAD", 130),
    ("ENOTRECOVERABLE", 131),
    ("ERFKILL", 132),
    ("EHWPOISON", 133),
];

/// Every AF_ name <sys/socket.h> defines but AF_UNSPEC and AF_MAX, as systemd's
/// af_from_name() knows them (`cpp -dM -include sys/socket.h`, glibc 2.36).
pub const ADDRESS_FAMILIES: &[(&str, i32)] = &[
    ("AF_FILE", 1),
    ("AF_LOCAL", 1),
    ("AF_UNIX", 1),
    ("AF_INET", 2),
    ("AF_AX25", 3),
    ("AF_IPX", 4),
    ("AF_APPLETALK", 5),
    ("AF_NETROM", 6),
    ("AF_BRIDGE", 7),
    ("AF_ATMPVC", 8),
    ("AF_X25", 9),
    ("AF_INET6", 10),
    ("AF_ROSE", 11),
    ("AF_DECnet", 12),
    ("AF_NETBEUI", 13),
    ("AF_SECURITY", 14),
    ("AF_KEY", 15),
    ("AF_NETLINK", 16),
    ("AF_ROUTE", 16),
    ("AF_PACKET", 17),
    ("AF_ASH", 18),
    ("AF_ECONET", 19),
    ("AF_ATMSVC", 20),
    ("AF_RDS", 21),
    ("AF_SNA", 22),
    ("AF_IRDA", 23),
    ("AF_PPPOX", 24),
    ("AF_WANPIPE", 25),
    ("AF_LLC", 26),
    ("AF_IB", 27),
    ("AF_MPLS", 28),
    ("AF_CAN", 29),
    ("AF_TIPC", 30),
    ("AF_BLUETOOTH", 31),
    ("AF_IUCV", 32),
    ("AF_RXRPC", 33),
    ("AF_ISDN", 34),
    ("AF_PHONET", 35),
    ("AF_IEEE802154", 36),
    ("AF_CAIF", 37),
    ("AF_ALG", 38),
    ("AF_NFC", 39),
    ("AF_VSOCK", 40),
    ("AF_KCM", 41),
    ("AF_QIPCRTR", 42),
    ("AF_SMC", 43),
    ("AF_XDP", 44),
    ("AF_MCTP", 45),
];

/// systemd's namespace_info[], in its order: the names RestrictNamespaces= takes.
pub const NAMESPACES: &[(&str, u64)] = &[
    ("cgroup", libc::CLONE_NEWCGROUP as u64),
    ("ipc", libc::CLONE_NEWIPC as u64),
    ("net", libc::CLONE_NEWNET as u64),
    ("mnt", libc::CLONE_NEWNS as u64),
    ("pid", libc::CLONE_NEWPID as u64),
    ("user", libc::CLONE_NEWUSER as u64),
    ("uts", libc::CLONE_NEWUTS as u64),
];

/// systemd's NAMESPACE_FLAGS_ALL.
pub const ALL_NAMESPACES: u64 = libc::CLONE_NEWCGROUP as u64
    | libc::CLONE_NEWIPC as u64
    | libc::CLONE_NEWNET as u64
    | libc::CLONE_NEWNS as u64
    | libc::CLONE_NEWPID as u64
    | libc::CLONE_NEWUSER as u64
    | libc::CLONE_NEWUTS as u64;

/// systemd's parse_errno(): a name from ERRNO, or a number from 0 to 4095.
pub fn errno_from_str(s: &str) -> Option<u16> {
    if let Some(&(_, n)) = ERRNO.iter().find(|(name, _)| *name == s) {
        return u16::try_from(n).ok();
    }
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<u16>().ok().filter(|&n| n <= 4095)
}

/// The name of an errno, for --dry-run; the number where there is none.
pub fn errno_name(n: u16) -> String {
    ERRNO
        .iter()
        .find(|&&(_, v)| v == i32::from(n))
        .map_or_else(|| n.to_string(), |(name, _)| (*name).to_string())
}

pub fn family_from_str(s: &str) -> Option<i32> {
    ADDRESS_FAMILIES
        .iter()
        .find(|(name, _)| *name == s)
        .map(|&(_, v)| v)
}

/// systemd's af_max(): one past the highest family it knows.
pub fn family_max() -> i32 {
    ADDRESS_FAMILIES.iter().map(|&(_, v)| v).max().unwrap_or(0) + 1
}
