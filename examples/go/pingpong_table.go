// The ping-pong table of Advanced Go Concurrency Patterns (Ajmani, 2013): two players pass one
// ball over an unbuffered table channel. The ball is tossed before pong sits down, so ping
// serves; the player who makes the tenth hit hands the ball to main instead of the table.
package main

import (
	"fmt"
	"time"
)

type Ball struct{ hits int }

func main() {
	table := make(chan *Ball)
	done := make(chan *Ball)
	go player("ping", table, done)
	table <- new(Ball) // game on; toss the ball
	go player("pong", table, done)
	ball := <-done // game over; grab the ball
	fmt.Println("game over after", ball.hits, "hits")
}

func player(name string, table chan *Ball, done chan *Ball) {
	for {
		ball := <-table
		ball.hits++
		fmt.Println(name, ball.hits)
		time.Sleep(time.Millisecond)
		if ball.hits == 10 {
			done <- ball
			return
		}
		table <- ball
	}
}
