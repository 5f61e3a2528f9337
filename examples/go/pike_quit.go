// Pike, Go Concurrency Patterns: a quit channel, and a round trip on it so the speaker can
// clean up before main goes.
package main

import "fmt"

func boring(msg string, quit chan string) <-chan string {
	c := make(chan string)
	go func() {
		for i := 0; ; i++ {
			select {
			case c <- fmt.Sprintf("%s %d", msg, i):
				// do nothing
			case <-quit:
				cleanup(msg)
				quit <- "See you!"
				return
			}
		}
	}()
	return c
}

func cleanup(msg string) {
	fmt.Println(msg, "is cleaning up")
}

func main() {
	quit := make(chan string)
	c := boring("Joe", quit)
	for i := 4; i >= 0; i-- {
		fmt.Println(<-c)
	}
	quit <- "Bye!"
	fmt.Printf("Joe says: %q\n", <-quit)
}
