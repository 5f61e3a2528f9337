//! Plain threads (no `rungo::run`) use the same types: a server and client on std threads, and
//! mixed: one stream read by a plain thread while a coroutine writes it, and a coroutine server
//! with plain-thread clients. Also `From<std::net::TcpStream>`.

use std::io::{Read, Write};

use rungo_net::{TcpListener, TcpStream};

#[test]
fn server_and_client_on_plain_threads() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        for conn in listener.incoming().take(3) {
            let mut conn = conn.unwrap();
            let mut s = String::new();
            conn.read_to_string(&mut s).unwrap();
            conn.write_all(s.to_uppercase().as_bytes()).unwrap();
        }
    });
    for word in ["one", "two", "three"] {
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.write_all(word.as_bytes()).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        let mut s = String::new();
        conn.read_to_string(&mut s).unwrap();
        assert_eq!(s, word.to_uppercase());
    }
    server.join().unwrap();
}

#[test]
fn a_thread_reads_while_a_coroutine_writes_the_same_stream() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let a = TcpStream::connect(addr).unwrap();
    let (b, _) = listener.accept().unwrap();
    // The peer echoes on a plain thread.
    let echo = std::thread::spawn(move || std::io::copy(&mut &b, &mut &b).unwrap());
    let writer = {
        let a = a.clone();
        rungo_runtime::go!(move || {
            for i in 0..1000u32 {
                (&a).write_all(&i.to_le_bytes()).unwrap();
            }
            a.shutdown(std::net::Shutdown::Write).unwrap();
        })
    };
    let mut all = Vec::new();
    (&a).read_to_end(&mut all).unwrap();
    writer.join().unwrap();
    assert_eq!(echo.join().unwrap(), 4000);
    let want: Vec<u8> = (0..1000u32).flat_map(|i| i.to_le_bytes()).collect();
    assert_eq!(all, want);
}

#[test]
fn a_coroutine_server_with_plain_thread_clients() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = rungo_runtime::go!(move || {
        for _ in 0..20 {
            let (conn, _) = listener.accept().unwrap();
            rungo_runtime::go!(move || std::io::copy(&mut &conn, &mut &conn).unwrap());
        }
    });
    let clients: Vec<_> = (0..20u8)
        .map(|i| {
            std::thread::spawn(move || {
                // A std stream from std's connect, converted (set non-blocking, registered).
                let std_conn = std::net::TcpStream::connect(addr).unwrap();
                let mut conn = TcpStream::from(std_conn);
                conn.write_all(&[i; 100]).unwrap();
                let mut back = [0u8; 100];
                conn.read_exact(&mut back).unwrap();
                assert_eq!(back, [i; 100]);
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    server.join().unwrap();
}
