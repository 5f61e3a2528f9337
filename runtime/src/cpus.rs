//! How many CPUs the process can really use: the default `GOMAXPROCS`, and the number of
//! awake workers past which new work wakes nobody (see `sched::idle`).
//!
//! Go 1.25's rule (`runtime/cgroup_linux.go`, proposal golang/go#73193): the CPUs in the
//! affinity mask, lowered to the cgroup CPU quota rounded *up*, but not below 2 (a quota of
//! 1.5 CPUs may burst on two; one worker would leave half a CPU unused). Quotas are read from
//! the process's own cgroup and every ancestor visible in the mount, the tightest winning
//! (cgroup v2 `cpu.max`, v1 `cpu.cfs_quota_us` / `cpu.cfs_period_us`).
//!
//! `std::thread::available_parallelism` covers the affinity mask and the same quota files, but
//! rounds the quota *down* (1.5 CPUs gives 1 worker) and hides the quota from its caller, so
//! rungo reads the files itself. Reading goes through [`CgroupView`], whose paths a test can
//! point at a made-up tree (the test hook: no container needed).

use std::path::{Path, PathBuf};

/// The usable CPUs of this process (at least 1).
pub(crate) fn usable() -> usize {
    let affinity = affinity_cpus();
    let quota = CgroupView::of_this_process().and_then(|view| view.quota_cpus());
    workers_for(affinity, quota)
}

/// Go 1.25's default GOMAXPROCS: `affinity` lowered to `quota` (in CPUs) rounded up, not below
/// 2 unless the affinity allows only 1.
pub(crate) fn workers_for(affinity: usize, quota: Option<f64>) -> usize {
    let affinity = affinity.max(1);
    match quota {
        Some(q) if q > 0.0 => affinity.min((q.ceil() as usize).max(2)),
        _ => affinity,
    }
}

/// CPUs in this thread's affinity mask (the process's, before any worker starts).
fn affinity_cpus() -> usize {
    // SAFETY: a zeroed cpu_set_t is a valid empty set, and sched_getaffinity writes at most
    // its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
            let n = libc::CPU_COUNT(&set);
            if n > 0 {
                return n as usize;
            }
        }
    }
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Where this process's cgroup CPU limits are, as `/proc/self/cgroup` and
/// `/proc/self/mountinfo` describe them, under a filesystem `root` (`/`, or a test's tree).
pub(crate) struct CgroupView {
    root: PathBuf,
    proc_self_cgroup: String,
    mountinfo: String,
}

impl CgroupView {
    fn of_this_process() -> Option<CgroupView> {
        Some(CgroupView {
            root: PathBuf::from("/"),
            proc_self_cgroup: std::fs::read_to_string("/proc/self/cgroup").ok()?,
            mountinfo: std::fs::read_to_string("/proc/self/mountinfo").ok()?,
        })
    }

    /// A view of a made-up tree: the test hook.
    #[cfg(test)]
    pub(crate) fn new(root: &Path, proc_self_cgroup: &str, mountinfo: &str) -> CgroupView {
        CgroupView {
            root: root.to_path_buf(),
            proc_self_cgroup: proc_self_cgroup.into(),
            mountinfo: mountinfo.into(),
        }
    }

    /// The tightest CPU quota on the process's cgroup and its visible ancestors, in CPUs;
    /// `None` when there is none. cgroup v2 is preferred when both are mounted.
    pub(crate) fn quota_cpus(&self) -> Option<f64> {
        self.dirs(true)
            .and_then(|dirs| tightest(&dirs, read_v2))
            .or_else(|| self.dirs(false).and_then(|dirs| tightest(&dirs, read_v1)))
    }

    /// The process's cgroup directory and its ancestors up to the mount, for cgroup v2
    /// (`v2`) or the v1 `cpu` controller.
    fn dirs(&self, v2: bool) -> Option<Vec<PathBuf>> {
        // /proc/self/cgroup: "hierarchy-id:controllers:path"; v2 is "0::path".
        let path = self.proc_self_cgroup.lines().find_map(|line| {
            let mut parts = line.splitn(3, ':');
            let (id, controllers, path) = (parts.next()?, parts.next()?, parts.next()?);
            let matches = if v2 {
                id == "0" && controllers.is_empty()
            } else {
                controllers.split(',').any(|c| c == "cpu")
            };
            matches.then_some(path)
        })?;
        // mountinfo: "id parent dev root mount-point options ... - fstype source super-options".
        let (mount_root, mount_point) = self.mountinfo.lines().find_map(|line| {
            let (before, after) = line.split_once(" - ")?;
            let fields: Vec<&str> = before.split(' ').collect();
            let mut after = after.split(' ');
            let fstype = after.next()?;
            let super_options = after.nth(1)?;
            let matches = if v2 {
                fstype == "cgroup2"
            } else {
                fstype == "cgroup" && super_options.split(',').any(|o| o == "cpu")
            };
            matches.then(|| Some((*fields.get(3)?, *fields.get(4)?)))?
        })?;
        // The cgroup path is relative to the hierarchy's root; the mount shows `mount_root` of
        // it (a container sees only its own subtree).
        let relative = Path::new(path).strip_prefix(mount_root).ok()?;
        let base = self.root.join(mount_point.trim_start_matches('/'));
        let mut dirs = vec![base.join(relative)];
        let mut up = relative;
        while let Some(parent) = up.parent() {
            dirs.push(base.join(parent));
            up = parent;
        }
        Some(dirs)
    }
}

fn tightest(dirs: &[PathBuf], read: fn(&Path) -> Option<f64>) -> Option<f64> {
    dirs.iter().filter_map(|d| read(d)).reduce(f64::min)
}

/// cgroup v2 `cpu.max`: "max 100000" (no limit) or "<quota> <period>" in microseconds.
fn read_v2(dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("cpu.max")).ok()?;
    let mut parts = text.split_whitespace();
    let quota: f64 = parts.next()?.parse().ok()?; // "max" does not parse: no limit
    let period: f64 = parts.next()?.parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// cgroup v1: `cpu.cfs_quota_us` (-1: no limit) over `cpu.cfs_period_us`.
fn read_v1(dir: &Path) -> Option<f64> {
    let read = |name: &str| -> Option<f64> {
        std::fs::read_to_string(dir.join(name))
            .ok()?
            .trim()
            .parse()
            .ok()
    };
    let (quota, period) = (read("cpu.cfs_quota_us")?, read("cpu.cfs_period_us")?);
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

#[cfg(test)]
mod tests {
    use super::{CgroupView, workers_for};
    use std::path::Path;

    #[test]
    fn the_quota_lowers_the_affinity_rounded_up_and_not_below_two() {
        assert_eq!(workers_for(8, None), 8, "no quota: the affinity mask");
        assert_eq!(workers_for(8, Some(2.0)), 2);
        assert_eq!(workers_for(8, Some(1.5)), 2, "rounded up");
        assert_eq!(workers_for(8, Some(2.5)), 3, "rounded up");
        assert_eq!(workers_for(8, Some(0.5)), 2, "not below two");
        assert_eq!(workers_for(1, Some(0.5)), 1, "but never above the affinity");
        assert_eq!(
            workers_for(4, Some(16.0)),
            4,
            "a loose quota changes nothing"
        );
        assert_eq!(workers_for(0, None), 1);
    }

    /// A made-up root with the given files.
    fn tree(files: &[(&str, &str)]) -> tempdir::Dir {
        let dir = tempdir::Dir::new();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    const V2_MOUNT: &str = "30 25 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n";
    const V1_MOUNT: &str = "21 1 8:1 / / rw - ext4 /dev/sda1 rw\n\
        32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n";

    #[test]
    fn cgroup_v2_reads_cpu_max_and_the_tightest_ancestor_wins() {
        let t = tree(&[
            ("sys/fs/cgroup/cpu.max", "max 100000\n"),
            ("sys/fs/cgroup/pod/cpu.max", "150000 100000\n"),
            ("sys/fs/cgroup/pod/app/cpu.max", "max 100000\n"),
        ]);
        let view = CgroupView::new(t.path(), "0::/pod/app\n", V2_MOUNT);
        assert_eq!(view.quota_cpus(), Some(1.5), "the parent's limit applies");
        assert_eq!(workers_for(8, view.quota_cpus()), 2);
        let unlimited = CgroupView::new(t.path(), "0::/\n", V2_MOUNT);
        assert_eq!(unlimited.quota_cpus(), None, "\"max\" is no limit");
    }

    #[test]
    fn cgroup_v1_reads_the_cfs_quota_of_the_cpu_controller() {
        let t = tree(&[
            ("sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_quota_us", "250000\n"),
            (
                "sys/fs/cgroup/cpu,cpuacct/job/cpu.cfs_period_us",
                "100000\n",
            ),
            ("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us", "-1\n"),
            ("sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us", "100000\n"),
        ]);
        let cgroup = "4:memory:/job\n3:cpu,cpuacct:/job\n0::/\n";
        let view = CgroupView::new(t.path(), cgroup, V1_MOUNT);
        assert_eq!(view.quota_cpus(), Some(2.5));
        assert_eq!(workers_for(8, view.quota_cpus()), 3);
    }

    #[test]
    fn a_container_sees_its_own_subtree_as_the_mount_root() {
        // The hierarchy path is /kubepods/pod1/ctr, and the container's mount shows that
        // directory as its /sys/fs/cgroup.
        let mount = "30 25 0:26 /kubepods/pod1/ctr /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        let t = tree(&[("sys/fs/cgroup/cpu.max", "100000 100000\n")]);
        let view = CgroupView::new(t.path(), "0::/kubepods/pod1/ctr\n", mount);
        assert_eq!(view.quota_cpus(), Some(1.0));
    }

    #[test]
    fn no_cgroup_files_means_no_quota() {
        let t = tree(&[]);
        let view = CgroupView::new(t.path(), "0::/\n", V2_MOUNT);
        assert_eq!(view.quota_cpus(), None);
        let nothing = CgroupView::new(Path::new("/nonexistent"), "", "");
        assert_eq!(nothing.quota_cpus(), None);
    }

    /// A temporary directory removed on drop (no dev-dependency for one use).
    mod tempdir {
        use std::path::{Path, PathBuf};
        use std::sync::atomic::{AtomicUsize, Ordering};

        pub(crate) struct Dir(PathBuf);

        impl Dir {
            pub(crate) fn new() -> Dir {
                static N: AtomicUsize = AtomicUsize::new(0);
                let n = N.fetch_add(1, Ordering::Relaxed);
                let path =
                    std::env::temp_dir().join(format!("rungo-cpus-{}-{n}", std::process::id()));
                std::fs::create_dir_all(&path).unwrap();
                Dir(path)
            }

            pub(crate) fn path(&self) -> &Path {
                &self.0
            }
        }

        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }
}
