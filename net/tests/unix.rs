//! Unix domain sockets: a listener served by a coroutine per connection, `pair`, addresses,
//! deadlines and close.

use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use rungo_net::{UnixListener, UnixStream};
use rungo_runtime::{go, run, sleep};

fn socket_path(name: &str) -> std::path::PathBuf {
    let p = std::env::temp_dir().join(format!("rungo-net-{}-{name}.sock", std::process::id()));
    let _ = std::fs::remove_file(&p);
    p
}

#[test]
fn a_unix_echo_server_serves_concurrent_clients() {
    let path = socket_path("echo");
    let p = path.clone();
    run(move || {
        let path = p;
        let listener = UnixListener::bind(&path).unwrap();
        assert_eq!(
            listener.local_addr().unwrap().as_pathname(),
            Some(path.as_path())
        );
        let server = go!(move || {
            for _ in 0..50 {
                let (conn, _) = listener.accept().unwrap();
                go!(move || std::io::copy(&mut &conn, &mut &conn).unwrap());
            }
        });
        let clients: Vec<_> = (0..50u8)
            .map(|i| {
                let path = path.clone();
                go!(move || {
                    let mut conn = UnixStream::connect(&path).unwrap();
                    assert_eq!(
                        conn.peer_addr().unwrap().as_pathname(),
                        Some(path.as_path())
                    );
                    let msg = vec![i; 10_000 + i as usize];
                    conn.write_all(&msg).unwrap();
                    let mut back = vec![0u8; msg.len()];
                    conn.read_exact(&mut back).unwrap();
                    assert_eq!(back, msg);
                })
            })
            .collect();
        for c in clients {
            c.join().unwrap();
        }
        server.join().unwrap();
    });
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn pair_deadline_and_close() {
    run(|| {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_read_deadline(Some(Instant::now() + Duration::from_millis(30)))
            .unwrap();
        let err = (&a).read(&mut [0u8; 4]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TimedOut);
        a.set_read_deadline(None).unwrap();

        let reader = a.try_clone().unwrap();
        let blocked = go!(move || (&reader).read(&mut [0u8; 4]));
        sleep(Duration::from_millis(20));
        a.close();
        let err = blocked.join().unwrap().unwrap_err();
        assert_eq!(err.to_string(), "use of closed network connection");
        // The peer sees EOF.
        assert_eq!((&b).read(&mut [0u8; 4]).unwrap(), 0);
    });
}

#[test]
fn a_std_unix_stream_converts() {
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let a = UnixStream::from(a);
    let b = UnixStream::from_std(b).unwrap();
    let w = go!(move || (&a).write_all(b"converted"));
    let mut s = String::new();
    (&b).read_to_string(&mut s).unwrap();
    assert_eq!(s, "converted");
    w.join().unwrap().unwrap();
}
