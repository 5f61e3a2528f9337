//! Address resolution: IP literals are parsed in the calling coroutine and never reach the
//! blocking pool; a host name is looked up on the pool (so the coroutine's worker stays free),
//! and on a plain thread inline.

use std::time::Duration;

use rungo_net::{TcpListener, TcpStream, ToSocketAddrs, lookup_ip};
use rungo_runtime::{blocking_pool_stats, go, run};
use rungo_testkit::child::in_child;

#[test]
fn literals_stay_in_the_coroutine_and_names_go_to_the_blocking_pool() {
    in_child(
        "literals_stay_in_the_coroutine_and_names_go_to_the_blocking_pool",
        &[],
        Duration::from_secs(30),
        || {
            // A plain thread resolves inline: no pool thread is started.
            assert!(!lookup_ip("localhost").unwrap().is_empty());
            assert_eq!(blocking_pool_stats().peak_threads, 0);
            run(|| {
                let listener = TcpListener::bind("127.0.0.1:0").unwrap();
                let addr = listener.local_addr().unwrap();
                let accept = go!(move || listener.accept().map(|_| ()));
                // Literals of every form, and a connect by literal: no pool thread.
                TcpStream::connect(format!("127.0.0.1:{}", addr.port())).unwrap();
                assert_eq!("[::1]:1".resolve_addrs().unwrap().len(), 1);
                assert_eq!(("127.0.0.1", 1).resolve_addrs().unwrap().len(), 1);
                assert_eq!(lookup_ip("10.1.2.3").unwrap().len(), 1);
                accept.join().unwrap().unwrap();
                assert_eq!(
                    blocking_pool_stats().peak_threads,
                    0,
                    "an IP literal reached the blocking pool"
                );
                // A name from a coroutine goes to the pool.
                let ips = lookup_ip("localhost").unwrap();
                assert!(ips.iter().all(|ip| ip.is_loopback()), "{ips:?}");
                assert!(
                    blocking_pool_stats().peak_threads >= 1,
                    "the name was resolved inline"
                );
            });
        },
    );
}

/// Malformed addresses fail before any lookup (no name is sent to a resolver: these tests
/// resolve only `localhost`, from /etc/hosts).
#[test]
fn malformed_addresses_are_invalid_input() {
    for bad in ["no port here", "127.0.0.1:99999", "::1:80", "[::1:80"] {
        let err = bad.resolve_addrs().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput, "{bad}: {err}");
    }
}
