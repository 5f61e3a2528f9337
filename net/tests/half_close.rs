//! Half-close: after `shutdown(Write)` the peer reads EOF and can still write back, and the
//! half-closed side still reads it.

use std::io::{Read, Write};

use rungo_net::{Shutdown, TcpListener, TcpStream};
use rungo_runtime::{go, run};

#[test]
fn shutdown_write_gives_the_peer_eof_and_it_can_still_answer() {
    run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = go!(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            // read_to_end returns only at EOF: the client's shutdown(Write).
            conn.read_to_end(&mut request).unwrap();
            conn.write_all(format!("got {} bytes", request.len()).as_bytes())
                .unwrap();
            // Reading again still gives EOF.
            assert_eq!(conn.read(&mut [0u8; 8]).unwrap(), 0);
        });
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.write_all(&[7u8; 5000]).unwrap();
        conn.shutdown(Shutdown::Write).unwrap();
        // Writing after shutdown(Write) fails (EPIPE), without killing the process by SIGPIPE.
        let err = conn.write(b"more").unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::BrokenPipe);
        let mut reply = String::new();
        conn.read_to_string(&mut reply).unwrap();
        assert_eq!(reply, "got 5000 bytes");
        server.join().unwrap();
    });
}

#[test]
fn shutdown_read_makes_reads_return_eof() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let conn = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
    let (_peer, _) = listener.accept().unwrap();
    conn.shutdown(Shutdown::Read).unwrap();
    assert_eq!((&conn).read(&mut [0u8; 8]).unwrap(), 0);
}
