// A Tour of Go: Goroutines. main sleeps a little at the end so the last "world" is printed
// (Go does not wait for other goroutines when main returns).
package main

import (
	"fmt"
	"time"
)

func say(s string) {
	for i := 0; i < 5; i++ {
		time.Sleep(10 * time.Millisecond)
		fmt.Println(s)
	}
}

func main() {
	go say("world")
	say("hello")
	time.Sleep(50 * time.Millisecond)
}
