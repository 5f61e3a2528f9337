// A concurrent web crawler over real HTTP/1.1 (twin of ../crawler.rs).
//
// The program starts its own net/http server on 127.0.0.1 (port 0) serving a generated graph of
// pages (xorshift64*, the same seed and draws as the Rust twin, so the counts match): /p/<i>
// links to other pages, with cycles, slow pages (10-50 ms) and dead links (404). The crawler
// (net/http client) starts at /p/0, follows links to -depth hops, fetches each URL at most once
// (a mutex-guarded seen map that keeps the most remaining depth each URL was reached with, and
// re-expands stored links on a shorter arrival, so the result does not depend on the order),
// limits fetches in flight with a buffered channel used as a semaphore, and waits on a
// sync.WaitGroup that counts every visit goroutine.
//
//	go run crawler.go -pages 5000 -depth 8 -concurrency 64
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const seed uint64 = 0x2545F4914F6CDD1D

type rng struct{ s uint64 }

func (r *rng) next() uint64 {
	x := r.s
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	r.s = x
	return x * 0x2545F4914F6CDD1D
}

func (r *rng) below(n uint64) uint64 { return r.next() % n }

type page struct {
	slowMs uint64
	links  []uint64
}

// Page i: slow with odds 1/50 (10-50 ms), 1-8 links, each dead with odds 1/16.
func generate(pages uint64, seed uint64) []page {
	r := &rng{seed}
	g := make([]page, pages)
	for i := range g {
		if r.below(50) == 0 {
			g[i].slowMs = 10 + r.below(41)
		}
		degree := 1 + r.below(8)
		for k := uint64(0); k < degree; k++ {
			if r.below(16) == 0 {
				g[i].links = append(g[i].links, pages+r.below(pages))
			} else {
				g[i].links = append(g[i].links, r.below(pages))
			}
		}
	}
	return g
}

func serve(ln net.Listener, graph []page, served *atomic.Int64) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		served.Add(1)
		i, err := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/p/"))
		if !strings.HasPrefix(req.URL.Path, "/p/") || err != nil || i < 0 || i >= len(graph) {
			http.NotFound(w, req)
			return
		}
		if graph[i].slowMs > 0 {
			time.Sleep(time.Duration(graph[i].slowMs) * time.Millisecond)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "<html><body><h1>page %d</h1>\n", i)
		for _, l := range graph[i].links {
			fmt.Fprintf(&b, "<a href=\"/p/%d\">/p/%d</a>\n", l, l)
		}
		b.WriteString("</body></html>\n")
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, b.String())
	})
	http.Serve(ln, handler)
}

// links returns the href="..." targets of a page that are paths on this server.
func links(body string) []string {
	var out []string
	for {
		i := strings.Index(body, "href=\"")
		if i < 0 {
			return out
		}
		body = body[i+6:]
		j := strings.IndexByte(body, '"')
		if j < 0 {
			return out
		}
		if strings.HasPrefix(body[:j], "/") {
			out = append(out, body[:j])
		}
		body = body[j:]
	}
}

type seenEntry struct {
	depth int
	links []string
	done  bool
}

type crawler struct {
	base                string
	client              *http.Client
	sem                 chan struct{}
	mu                  sync.Mutex
	seen                map[string]*seenEntry
	wg                  sync.WaitGroup
	pages, dead, errors atomic.Int64
	inFlight, peak      atomic.Int64 // fetches in flight now, and the most there ever were
}

func (c *crawler) spawnVisit(url string, depth int) {
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.visit(url, depth)
	}()
}

func (c *crawler) follow(links []string, depth int) {
	if depth > 0 {
		for _, l := range links {
			c.spawnVisit(l, depth-1)
		}
	}
}

func (c *crawler) get(url string) (int, string, error) {
	c.sem <- struct{}{}
	defer func() { <-c.sem }()
	now := c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	for p := c.peak.Load(); now > p && !c.peak.CompareAndSwap(p, now); p = c.peak.Load() {
	}
	resp, err := c.client.Get(c.base + url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func (c *crawler) visit(url string, depth int) {
	c.mu.Lock()
	if s, ok := c.seen[url]; ok {
		if s.depth >= depth {
			c.mu.Unlock()
			return
		}
		// Reached by a shorter path: follow its links further, without a refetch.
		s.depth = depth
		links, done := s.links, s.done
		c.mu.Unlock()
		if done {
			c.follow(links, depth)
		}
		return
	}
	c.seen[url] = &seenEntry{depth: depth}
	c.mu.Unlock()

	var found []string
	code, body, err := c.get(url)
	switch {
	case err != nil:
		fmt.Fprintf(os.Stderr, "%s: %v\n", url, err)
		c.errors.Add(1)
	case code == 200:
		c.pages.Add(1)
		found = links(body)
	case code == 404:
		c.dead.Add(1)
	default:
		fmt.Fprintf(os.Stderr, "%s: HTTP %d\n", url, code)
		c.errors.Add(1)
	}
	c.mu.Lock()
	s := c.seen[url]
	s.links, s.done = found, true
	depth = s.depth
	c.mu.Unlock()
	c.follow(found, depth)
}

func main() {
	pages := flag.Uint64("pages", 5000, "pages in the graph")
	depth := flag.Int("depth", 8, "hops to follow from /p/0")
	concurrency := flag.Int("concurrency", 64, "fetches in flight")
	flag.Parse()
	if *concurrency < 1 {
		*concurrency = 1
	}
	graph := generate(*pages, seed)
	var served atomic.Int64
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go serve(ln, graph, &served)
	c := &crawler{
		base: "http://" + ln.Addr().String(),
		client: &http.Client{Transport: &http.Transport{
			MaxIdleConns:        *concurrency,
			MaxIdleConnsPerHost: *concurrency,
		}},
		sem:  make(chan struct{}, *concurrency),
		seen: map[string]*seenEntry{},
	}
	start := time.Now()
	c.spawnVisit("/p/0", *depth)
	c.wg.Wait()
	took := time.Since(start)
	fmt.Printf("crawled a %d-page graph from /p/0 to depth %d, concurrency %d\n", *pages, *depth, *concurrency)
	fmt.Printf("pages: %d\n", c.pages.Load())
	fmt.Printf("dead links: %d\n", c.dead.Load())
	fmt.Printf("errors: %d\n", c.errors.Load())
	fmt.Printf("requests served: %d\n", served.Load())
	fmt.Printf("peak fetches in flight: %d\n", c.peak.Load())
	fmt.Printf("time: %.3f s\n", took.Seconds())
}
