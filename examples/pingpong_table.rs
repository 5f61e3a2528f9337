//! The ping-pong table of Advanced Go Concurrency Patterns (Ajmani, 2013): two players pass one
//! ball over an unbuffered table channel. The ball is tossed before pong sits down, so ping
//! serves; the player who makes the tenth hit hands the ball to main instead of the table.
use rungo::prelude::*;
use std::time::Duration;

#[derive(Default)]
struct Ball {
    hits: u32,
}

fn main() {
    rungo::run(|| {
        let table = chan(0);
        let done = chan(0);
        go!(player, "ping", table.clone(), done.clone());
        table.send(Ball::default()); // game on; toss the ball
        go!(player, "pong", table.clone(), done.clone());
        let ball = done.recv().unwrap(); // game over; grab the ball
        println!("game over after {} hits", ball.hits);
    })
}

fn player(name: &str, table: Chan<Ball>, done: Chan<Ball>) {
    loop {
        let mut ball = table.recv().unwrap();
        ball.hits += 1;
        println!("{name} {}", ball.hits);
        sleep(Duration::from_millis(1));
        if ball.hits == 10 {
            done.send(ball);
            return;
        }
        table.send(ball);
    }
}
