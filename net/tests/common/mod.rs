//! Helpers shared by rungo-net's behaviour tests (the child-process runner and the RNG are
//! `rungo_testkit`'s).
#![allow(dead_code)]

use std::io::{self, Read, Write};

use rungo_net::{TcpListener, TcpStream};

/// A connected TCP pair on the loopback interface: (the connecting end, the accepted end).
pub fn tcp_pair() -> (TcpStream, TcpStream) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (b, _) = listener.accept().unwrap();
    (a, b)
}

/// Raises this process's soft `RLIMIT_NOFILE` to at least `want` (up to the hard limit).
pub fn raise_nofile(want: u64) -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `lim` is a valid out-pointer for getrlimit.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur < want {
        lim.rlim_cur = want.min(lim.rlim_max);
        // SAFETY: `lim` is a valid rlimit; raising the soft limit up to the hard one is allowed.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    }
    lim.rlim_cur
}

/// Writes all of `buf` through `&T` (for shared handles).
pub fn write_all_ref<T>(mut w: &T, buf: &[u8]) -> io::Result<()>
where
    for<'a> &'a T: Write,
{
    w.write_all(buf)
}

/// Reads exactly `buf.len()` bytes through `&T`.
pub fn read_exact_ref<T>(mut r: &T, buf: &mut [u8]) -> io::Result<()>
where
    for<'a> &'a T: Read,
{
    r.read_exact(buf)
}

/// The byte at offset `i` of a deterministic stream seeded by `seed`.
pub fn pattern(seed: u64, i: u64) -> u8 {
    let x = (i ^ seed.rotate_left(17)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> 56) as u8
}
