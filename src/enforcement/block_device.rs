//! The block device behind a path, for the io.max check (cgroup_files.rs).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

/// MAJ:MIN of the disk whose io.max line limits `path`, found as systemd's
/// lookup_block_device finds it: the node itself if it is a block device, else the device
/// of the file system; then down through device-mapper layers with a single backing
/// device (LUKS, a one-disk LVM), and from a partition to its disk.
pub(super) fn whole_disk(path: &Path) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    let dev = match meta.file_type().is_block_device() {
        true => meta.rdev(),
        false => meta.dev(),
    };
    let mut sys = PathBuf::from(format!(
        "/sys/dev/block/{}:{}",
        nix::sys::stat::major(dev),
        nix::sys::stat::minor(dev)
    ));
    // block_get_originating, repeated; a stack this deep is not a real one.
    for _ in 0..16 {
        let slaves: Vec<_> = match std::fs::read_dir(sys.join("slaves")) {
            Ok(entries) => entries.collect::<std::io::Result<_>>()?,
            Err(_) => Vec::new(),
        };
        let [only] = slaves.as_slice() else { break };
        let dev = std::fs::read_to_string(only.path().join("dev"))?;
        sys = PathBuf::from(format!("/sys/dev/block/{}", dev.trim()));
    }
    let disk = match sys.join("partition").exists() {
        true => std::fs::read_to_string(sys.join("../dev"))?,
        false => std::fs::read_to_string(sys.join("dev"))?,
    };
    Ok(disk.trim().to_string())
}
