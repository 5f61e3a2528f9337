//! Whole-file reads and writes that keep the calling coroutine's worker free: thin wrappers
//! over [`std::fs`] run through [`blocking`](fn@crate::blocking), so the file system call happens on a pool
//! thread while the worker runs other coroutines.
//!
//! Go: the `os` package's `ReadFile` and `WriteFile` (Go's runtime hands the P off around the
//! blocking `read`/`write` syscalls; rungo sends the whole call to its blocking pool). On a
//! plain thread they are exactly the `std::fs` functions. For anything else, call
//! `rungo_runtime::blocking(|| std::fs::...)` the same way.
//!
//! Each wrapper borrows its arguments into the pool thread (no copy of the path or the
//! contents): [`blocking`] needs no `'static`.

use std::io;
use std::path::Path;

use crate::blocking;

/// Reads the whole file at `path`. Go: `os.ReadFile(name)`; std: [`std::fs::read`].
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("rungo-fs-doc-read-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("hello.txt");
/// let back = rungo_runtime::run(move || -> std::io::Result<Vec<u8>> {
///     rungo_runtime::fs::write(&path, b"hello")?;
///     rungo_runtime::fs::read(&path)
/// })?;
/// assert_eq!(back, b"hello");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read<P: AsRef<Path>>(path: P) -> io::Result<Vec<u8>> {
    let path = path.as_ref();
    blocking(|| std::fs::read(path))
}

/// Reads the whole file at `path` as UTF-8 text. Go: `os.ReadFile(name)` then `string(b)`
/// (Go does not check the UTF-8); std: [`std::fs::read_to_string`].
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("rungo-fs-doc-text-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("greeting.txt");
/// let text = rungo_runtime::run(move || -> std::io::Result<String> {
///     rungo_runtime::fs::write(&path, "héllo")?;
///     rungo_runtime::fs::read_to_string(&path)
/// })?;
/// assert_eq!(text, "héllo");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_to_string<P: AsRef<Path>>(path: P) -> io::Result<String> {
    let path = path.as_ref();
    blocking(|| std::fs::read_to_string(path))
}

/// Writes `contents` as the whole file at `path`, creating it or truncating it. Go:
/// `os.WriteFile(name, data, 0o666)` (the permissions come from the process's umask here);
/// std: [`std::fs::write`].
///
/// ```
/// # let dir = std::env::temp_dir().join(format!("rungo-fs-doc-write-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("out.txt");
/// rungo_runtime::go!(move || rungo_runtime::fs::write(path, "done")).join().unwrap()?;
/// assert_eq!(std::fs::read_to_string(dir.join("out.txt"))?, "done");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn write<P: AsRef<Path>, C: AsRef<[u8]>>(path: P, contents: C) -> io::Result<()> {
    let (path, contents) = (path.as_ref(), contents.as_ref());
    blocking(|| std::fs::write(path, contents))
}
