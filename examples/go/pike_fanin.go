// Pike, Go Concurrency Patterns: fan-in with select. Joe and Ann say five things each at their
// own pace; whoever is ready talks. Arrival order varies, so main sorts what it heard.
package main

import (
	"fmt"
	"sort"
	"time"
)

func boring(msg string, pace time.Duration) <-chan string {
	c := make(chan string)
	go func() {
		for i := 0; i < 5; i++ {
			c <- fmt.Sprintf("%s %d", msg, i)
			time.Sleep(pace)
		}
	}()
	return c
}

func fanIn(input1, input2 <-chan string) <-chan string {
	c := make(chan string)
	go func() {
		for {
			select {
			case s := <-input1:
				c <- s
			case s := <-input2:
				c <- s
			}
		}
	}()
	return c
}

func main() {
	c := fanIn(boring("Joe", time.Millisecond), boring("Ann", 2*time.Millisecond))
	var heard []string
	for i := 0; i < 10; i++ {
		heard = append(heard, <-c)
	}
	sort.Strings(heard)
	for _, s := range heard {
		fmt.Println(s)
	}
	fmt.Println("You're both boring; I'm leaving.")
}
