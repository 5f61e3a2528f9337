// A Tour of Go: Default Selection. How many dots and ticks print depends on timing; the test
// drops the dots and collapses repeated ticks.
package main

import (
	"fmt"
	"time"
)

func main() {
	tick := time.Tick(10 * time.Millisecond)
	boom := time.After(50 * time.Millisecond)
	for {
		select {
		case <-tick:
			fmt.Println("tick.")
		case <-boom:
			fmt.Println("BOOM!")
			return
		default:
			fmt.Println("    .")
			time.Sleep(5 * time.Millisecond)
		}
	}
}
