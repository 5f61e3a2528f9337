// Go by Example: Rate Limiting. Instead of the time each request is served, it prints whether
// the limiter held it back as long as it must: request n of the first loop comes no sooner than
// n ticks after the start, and the bursty loop lets 3 requests through at once, then one per
// tick. That holds however loaded the machine is; exact times would not.
package main

import (
	"fmt"
	"time"
)

const period = 20 * time.Millisecond

func main() {
	requests := make(chan int, 5)
	for i := 1; i <= 5; i++ {
		requests <- i
	}
	close(requests)

	start := time.Now()
	limiter := time.Tick(period)

	for req := range requests {
		<-limiter
		fmt.Println("request", req, "after", req, "ticks:", time.Since(start) >= time.Duration(req)*period)
	}

	burstyLimiter := make(chan time.Time, 3)

	for range 3 {
		burstyLimiter <- time.Now()
	}

	start = time.Now()
	go func() {
		for t := range time.Tick(period) {
			burstyLimiter <- t
		}
	}()

	burstyRequests := make(chan int, 5)
	for i := 1; i <= 5; i++ {
		burstyRequests <- i
	}
	close(burstyRequests)
	for req := range burstyRequests {
		<-burstyLimiter
		n := max(req-3, 0)
		fmt.Println("request", req, "after", n, "ticks:", time.Since(start) >= time.Duration(n)*period)
	}
}
