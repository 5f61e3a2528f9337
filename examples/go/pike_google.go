// Pike, Go Concurrency Patterns: Google Search 1.0 (serial), 2.0 (concurrent, fan-in),
// 2.1 (with a timeout) and 3.0 (replicated backends, first answer wins) over fake backends
// with fixed latencies. Concurrent results arrive in varying order, so they are sorted.
package main

import (
	"fmt"
	"sort"
	"time"
)

type Result string
type Search func(query string) Result

func fakeSearch(kind string, ms int) Search {
	return func(query string) Result {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return Result(fmt.Sprintf("%s result for %q", kind, query))
	}
}

var (
	Web    = fakeSearch("web", 1)
	Image  = fakeSearch("image", 2)
	Video  = fakeSearch("video", 150) // too slow for a 50 ms budget
	Web1   = fakeSearch("web1", 150)
	Web2   = fakeSearch("web2", 1)
	Image1 = fakeSearch("image1", 1)
	Image2 = fakeSearch("image2", 150)
	Video1 = fakeSearch("video1", 150)
	Video2 = fakeSearch("video2", 2)
)

func Google10(query string) (results []Result) {
	results = append(results, Web(query))
	results = append(results, Image(query))
	results = append(results, Video(query))
	return
}

func Google20(query string) (results []Result) {
	c := make(chan Result)
	go func() { c <- Web(query) }()
	go func() { c <- Image(query) }()
	go func() { c <- Video(query) }()
	for i := 0; i < 3; i++ {
		results = append(results, <-c)
	}
	return
}

func Google21(query string) (results []Result) {
	c := make(chan Result)
	go func() { c <- Web(query) }()
	go func() { c <- Image(query) }()
	go func() { c <- Video(query) }()
	timeout := time.After(50 * time.Millisecond)
	for i := 0; i < 3; i++ {
		select {
		case result := <-c:
			results = append(results, result)
		case <-timeout:
			fmt.Println("timed out")
			return
		}
	}
	return
}

func First(query string, replicas ...Search) Result {
	c := make(chan Result)
	searchReplica := func(i int) { c <- replicas[i](query) }
	for i := range replicas {
		go searchReplica(i)
	}
	return <-c
}

func Google30(query string) (results []Result) {
	c := make(chan Result)
	go func() { c <- First(query, Web1, Web2) }()
	go func() { c <- First(query, Image1, Image2) }()
	go func() { c <- First(query, Video1, Video2) }()
	timeout := time.After(50 * time.Millisecond)
	for i := 0; i < 3; i++ {
		select {
		case result := <-c:
			results = append(results, result)
		case <-timeout:
			fmt.Println("timed out")
			return
		}
	}
	return
}

func show(version string, results []Result) {
	sort.Slice(results, func(i, j int) bool { return results[i] < results[j] })
	fmt.Println(version, results)
}

func main() {
	show("1.0", Google10("golang"))
	show("2.0", Google20("golang"))
	show("2.1", Google21("golang"))
	show("3.0", Google30("golang"))
}
