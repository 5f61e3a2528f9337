// A heartbeat monitor: every 5 ms (a ticker) the master pings each server and waits for the
// answer with a timeout (a select). Server 2 crashes after answering three pings; the master
// declares it dead in the next round and stops pinging it.
package main

import (
	"fmt"
	"time"
)

type server struct {
	id   int
	ping chan chan bool
}

// serve answers `answers` pings and then crashes; a negative count never crashes.
func (s server) serve(answers int) {
	for n := 0; n != answers; n++ {
		reply := <-s.ping
		reply <- true
	}
}

// alive pings s and reports whether it answered within the timeout.
func alive(s server, timeout time.Duration) bool {
	deadline := time.After(timeout)
	reply := make(chan bool, 1)
	select {
	case s.ping <- reply:
	case <-deadline:
		return false
	}
	select {
	case ok := <-reply:
		return ok
	case <-deadline:
		return false
	}
}

func master(servers []server, rounds int) {
	ticker := time.NewTicker(5 * time.Millisecond)
	defer ticker.Stop()
	dead := make(map[int]bool)
	for round := 1; round <= rounds; round++ {
		<-ticker.C
		up := ""
		for _, s := range servers {
			if dead[s.id] {
				continue
			}
			if alive(s, 50*time.Millisecond) {
				up += fmt.Sprint(" ", s.id)
			} else {
				dead[s.id] = true
				fmt.Printf("round %d: server %d is dead\n", round, s.id)
			}
		}
		fmt.Printf("round %d: alive:%s\n", round, up)
	}
}

func main() {
	var servers []server
	for id, answers := range []int{-1, 3, -1} {
		s := server{id + 1, make(chan chan bool)}
		go s.serve(answers)
		servers = append(servers, s)
	}
	master(servers, 6)
}
