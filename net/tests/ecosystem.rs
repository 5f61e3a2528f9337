//! The blocking-style ecosystem works unchanged over rungo streams: an HTTP request parsed with
//! `httparse` and answered, and `serde_json::from_reader` / `to_writer` over a `TcpStream`,
//! all inside coroutines.

use std::io::{BufRead, BufReader, Read, Write};

use rungo_net::{TcpListener, TcpStream};
use rungo_runtime::{go, run};
use serde::{Deserialize, Serialize};

#[test]
fn an_http_request_parsed_with_httparse() {
    run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = go!(move || {
            let (conn, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(&conn);
            // Read the head up to the blank line, then parse it.
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                let n = reader.read_until(b'\n', &mut head).unwrap();
                assert_ne!(n, 0, "EOF inside the head");
            }
            let mut headers = [httparse::EMPTY_HEADER; 16];
            let mut req = httparse::Request::new(&mut headers);
            assert!(req.parse(&head).unwrap().is_complete());
            let len: usize = req
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
                .unwrap();
            let mut body = vec![0u8; len];
            reader.read_exact(&mut body).unwrap();
            let reply = format!(
                "{} {} {}",
                req.method.unwrap(),
                req.path.unwrap(),
                String::from_utf8(body).unwrap()
            );
            write!(
                &conn,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n{reply}",
                reply.len()
            )
            .unwrap();
        });
        let mut conn = TcpStream::connect(addr).unwrap();
        conn.write_all(b"POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
            .unwrap();
        let mut response = Vec::new();
        conn.read_to_end(&mut response).unwrap();
        let mut headers = [httparse::EMPTY_HEADER; 8];
        let mut resp = httparse::Response::new(&mut headers);
        let httparse::Status::Complete(body_at) = resp.parse(&response).unwrap() else {
            panic!("incomplete response");
        };
        assert_eq!(resp.code, Some(200));
        assert_eq!(&response[body_at..], b"POST /echo hello");
        server.join().unwrap();
    });
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Order {
    id: u64,
    items: Vec<String>,
    paid: bool,
}

#[test]
fn serde_json_reads_and_writes_a_tcp_stream() {
    run(|| {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = go!(move || {
            let (conn, _) = listener.accept().unwrap();
            // from_reader reads to EOF: the client half-closes after writing.
            let mut order: Order = serde_json::from_reader(&conn).unwrap();
            order.paid = true;
            serde_json::to_writer(&conn, &order).unwrap();
        });
        let conn = TcpStream::connect(addr).unwrap();
        let items: Vec<String> = (0..2000).map(|i| format!("item-{i}")).collect();
        let order = Order {
            id: 7,
            items,
            paid: false,
        };
        serde_json::to_writer(&conn, &order).unwrap();
        conn.shutdown(std::net::Shutdown::Write).unwrap();
        let back: Order = serde_json::from_reader(&conn).unwrap();
        assert_eq!(
            back,
            Order {
                paid: true,
                ..order
            }
        );
        server.join().unwrap();
    });
}
