// Go by Example: Tickers. Ticks are printed without their time (the count of ticks varies with
// load; the test collapses repeated lines).
package main

import (
	"fmt"
	"time"
)

func main() {
	ticker := time.NewTicker(10 * time.Millisecond)
	done := make(chan bool)

	go func() {
		for {
			select {
			case <-done:
				return
			case <-ticker.C:
				fmt.Println("Tick")
			}
		}
	}()

	time.Sleep(35 * time.Millisecond)
	ticker.Stop()
	done <- true
	fmt.Println("Ticker stopped")
}
