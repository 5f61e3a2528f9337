//! A Go-style echo server (twin: `go/echo_server.go`): an accept loop with a coroutine per
//! connection, each echoing lines until its client closes. Bounded: it starts its 100 clients
//! itself, serves them, and exits.
use rungo::net;
use rungo::prelude::*;
use std::io::{BufRead, BufReader, Write};

const CLIENTS: usize = 100;

fn handle(conn: net::Conn) {
    let mut r = BufReader::new(&conn);
    let mut line = String::new();
    loop {
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        if (&conn).write_all(line.as_bytes()).is_err() {
            return;
        }
    }
}

fn client(addr: String, id: usize, results: Sender<usize>) {
    let conn = net::dial("tcp", &addr).unwrap();
    let mut r = BufReader::new(&conn);
    let mut n = 0;
    for i in 0..3 {
        let msg = format!("client {id} message {i}\n");
        (&conn).write_all(msg.as_bytes()).unwrap();
        let mut back = String::new();
        r.read_line(&mut back).unwrap();
        assert_eq!(back, msg);
        n += back.len();
    }
    conn.close();
    results.send(n);
}

fn main() {
    run(|| {
        let ln = net::listen("tcp", "127.0.0.1:0").unwrap();
        let addr = ln.addr().unwrap().to_string();
        let results = chan::<usize>(CLIENTS);
        for id in 0..CLIENTS {
            go!(client, addr.clone(), id, results.sender());
        }
        for _ in 0..CLIENTS {
            let conn = ln.accept().unwrap();
            go!(handle, conn);
        }
        let mut total = 0;
        for _ in 0..CLIENTS {
            total += results.recv().unwrap();
        }
        ln.close();
        println!("served {CLIENTS} clients, echoed {total} bytes");
    })
}
