// The crawlers of MIT 6.824's lecture 2 over a fake fetcher: Serial, ConcurrentMutex (a map
// behind a Mutex, a WaitGroup per level) and ConcurrentChannel (a coordinator that counts
// outstanding workers). The fetcher logs what it fetched; each crawl's log is printed sorted.
package main

import (
	"fmt"
	"sort"
	"sync"
)

// Serial crawler

func Serial(url string, fetcher Fetcher, fetched map[string]bool) {
	if fetched[url] {
		return
	}
	fetched[url] = true
	urls, err := fetcher.Fetch(url)
	if err != nil {
		return
	}
	for _, u := range urls {
		Serial(u, fetcher, fetched)
	}
}

// Concurrent crawler with shared state and Mutex

type fetchState struct {
	mu      sync.Mutex
	fetched map[string]bool
}

func (fs *fetchState) testAndSet(url string) bool {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	r := fs.fetched[url]
	fs.fetched[url] = true
	return r
}

func ConcurrentMutex(url string, fetcher Fetcher, fs *fetchState) {
	if fs.testAndSet(url) {
		return
	}
	urls, err := fetcher.Fetch(url)
	if err != nil {
		return
	}
	var done sync.WaitGroup
	for _, u := range urls {
		done.Add(1)
		go func() {
			defer done.Done()
			ConcurrentMutex(u, fetcher, fs)
		}()
	}
	done.Wait()
}

func makeState() *fetchState {
	return &fetchState{fetched: make(map[string]bool)}
}

// Concurrent crawler with channels

func worker(url string, ch chan []string, fetcher Fetcher) {
	urls, err := fetcher.Fetch(url)
	if err != nil {
		ch <- []string{}
	} else {
		ch <- urls
	}
}

func coordinator(ch chan []string, fetcher Fetcher) {
	n := 1
	fetched := make(map[string]bool)
	for urls := range ch {
		for _, u := range urls {
			if !fetched[u] {
				fetched[u] = true
				n += 1
				go worker(u, ch, fetcher)
			}
		}
		n -= 1
		if n == 0 {
			break
		}
	}
}

func ConcurrentChannel(url string, fetcher Fetcher) {
	ch := make(chan []string)
	go func() {
		ch <- []string{url}
	}()
	coordinator(ch, fetcher)
}

// main

func main() {
	fmt.Printf("=== Serial ===\n")
	Serial("http://golang.org/", fetcher, make(map[string]bool))
	report()
	fmt.Printf("=== ConcurrentMutex ===\n")
	ConcurrentMutex("http://golang.org/", fetcher, makeState())
	report()
	fmt.Printf("=== ConcurrentChannel ===\n")
	ConcurrentChannel("http://golang.org/", fetcher)
	report()
}

// Fetcher

type Fetcher interface {
	// Fetch returns a slice of URLs found on the page.
	Fetch(url string) (urls []string, err error)
}

// fakeFetcher is Fetcher that returns canned results.
type fakeFetcher map[string]*fakeResult

type fakeResult struct {
	body string
	urls []string
}

var log struct { // what the fetcher did, in whatever order the crawler did it
	mu    sync.Mutex
	lines []string
}

func logf(format string, a ...any) {
	log.mu.Lock()
	defer log.mu.Unlock()
	log.lines = append(log.lines, fmt.Sprintf(format, a...))
}

func report() {
	sort.Strings(log.lines)
	for _, line := range log.lines {
		fmt.Println(line)
	}
	log.lines = nil
}

func (f fakeFetcher) Fetch(url string) ([]string, error) {
	if res, ok := f[url]; ok {
		logf("found:   %s", url)
		return res.urls, nil
	}
	logf("missing: %s", url)
	return nil, fmt.Errorf("not found: %s", url)
}

// fetcher is a populated fakeFetcher.
var fetcher = fakeFetcher{
	"http://golang.org/": &fakeResult{
		"The Go Programming Language",
		[]string{"http://golang.org/pkg/", "http://golang.org/cmd/"},
	},
	"http://golang.org/pkg/": &fakeResult{
		"Packages",
		[]string{"http://golang.org/", "http://golang.org/cmd/", "http://golang.org/pkg/fmt/", "http://golang.org/pkg/os/"},
	},
	"http://golang.org/pkg/fmt/": &fakeResult{
		"Package fmt",
		[]string{"http://golang.org/", "http://golang.org/pkg/"},
	},
	"http://golang.org/pkg/os/": &fakeResult{
		"Package os",
		[]string{"http://golang.org/", "http://golang.org/pkg/"},
	},
}
