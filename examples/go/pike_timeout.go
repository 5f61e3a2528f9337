// Pike, Go Concurrency Patterns: a timeout for each message (time.After in the select), then
// one timeout for the whole conversation (one time.After outside the loop).
package main

import (
	"fmt"
	"time"
)

// boring says n things quickly, then falls silent.
func boring(msg string, n int) <-chan string {
	c := make(chan string)
	go func() {
		for i := 0; i < n; i++ {
			c <- fmt.Sprintf("%s %d", msg, i)
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Hour)
	}()
	return c
}

func perMessage() {
	c := boring("Joe", 3)
	for {
		select {
		case s := <-c:
			fmt.Println(s)
		case <-time.After(100 * time.Millisecond):
			fmt.Println("You're too slow.")
			return
		}
	}
}

func wholeConversation() {
	c := boring("Ann", 5)
	timeout := time.After(150 * time.Millisecond)
	for {
		select {
		case s := <-c:
			fmt.Println(s)
		case <-timeout:
			fmt.Println("You talk too much.")
			return
		}
	}
}

func main() {
	perMessage()
	wholeConversation()
}
