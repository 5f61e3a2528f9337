// Go by Example: Worker Pools. Which worker takes which job varies, so the workers print only the
// job, and main prints the sum of the results.
package main

import (
	"fmt"
	"time"
)

func worker(jobs <-chan int, results chan<- int) {
	for j := range jobs {
		fmt.Println("started  job", j)
		time.Sleep(10 * time.Millisecond)
		fmt.Println("finished job", j)
		results <- j * 2
	}
}

func main() {
	const numJobs = 5
	jobs := make(chan int, numJobs)
	results := make(chan int, numJobs)

	for range 3 {
		go worker(jobs, results)
	}

	for j := 1; j <= numJobs; j++ {
		jobs <- j
	}
	close(jobs)

	sum := 0
	for range numJobs {
		sum += <-results
	}
	fmt.Println("sum of results", sum)
}
