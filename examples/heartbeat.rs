//! A heartbeat monitor: every 5 ms (a ticker) the master pings each server and waits for the
//! answer with a timeout (a select). Server 2 crashes after answering three pings; the master
//! declares it dead in the next round and stops pinging it.
use rungo::prelude::*;
use rungo::time::{Ticker, after};
use std::collections::HashSet;
use std::time::Duration;

#[derive(Clone)]
struct Server {
    id: usize,
    ping: Chan<Chan<bool>>,
}

impl Server {
    // serve answers `answers` pings and then crashes; a negative count never crashes.
    fn serve(self, answers: i32) {
        let mut n = 0;
        while n != answers {
            let reply = self.ping.recv().unwrap();
            reply.send(true);
            n += 1;
        }
    }
}

// alive pings s and reports whether it answered within the timeout.
fn alive(s: &Server, timeout: Duration) -> bool {
    let deadline = after(timeout);
    let reply = chan(1);
    select! {
        send(s.ping, reply.clone()) => {}
        recv(deadline) => return false,
    }
    select! {
        recv(reply) -> ok => ok.unwrap(),
        recv(deadline) => false,
    }
}

fn master(servers: &[Server], rounds: u32) {
    let ticker = Ticker::new(Duration::from_millis(5));
    let mut dead = HashSet::new();
    for round in 1..=rounds {
        ticker.c.recv();
        let mut up = String::new();
        for s in servers {
            if dead.contains(&s.id) {
                continue;
            }
            if alive(s, Duration::from_millis(50)) {
                up += &format!(" {}", s.id);
            } else {
                dead.insert(s.id);
                println!("round {round}: server {} is dead", s.id);
            }
        }
        println!("round {round}: alive:{up}");
    }
    ticker.stop();
}

fn main() {
    rungo::run(|| {
        let mut servers = vec![];
        for (id, answers) in [-1, 3, -1].into_iter().enumerate() {
            let s = Server {
                id: id + 1,
                ping: chan(0),
            };
            go!(Server::serve, s.clone(), answers);
            servers.push(s);
        }
        master(&servers, 6);
    })
}
