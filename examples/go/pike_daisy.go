// Pike, Go Concurrency Patterns: Chinese whispers, a daisy chain of 100,000 goroutines, each
// adding one to what its right neighbour whispers.
package main

import "fmt"

func f(left, right chan int) {
	left <- 1 + <-right
}

func main() {
	const n = 100000
	leftmost := make(chan int)
	left := leftmost
	for i := 0; i < n; i++ {
		right := make(chan int)
		go f(left, right)
		left = right
	}
	go func(c chan int) { c <- 1 }(left)
	fmt.Println(<-leftmost)
}
