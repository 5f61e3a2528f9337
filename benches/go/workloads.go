// Command workloads is the Go twin of rungo's million-coroutine benchmark (examples/million.rs):
// the same nine workloads at the same sizes, printing the same line, so that
// benches/compare.sh can run both side by side.
//
//	go build -o workloads . && ./workloads <workload>|all
//
// Each run prints one line:
//
//	<workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>
//
// Peak RSS is VmHWM from /proc/self/status, which is per process, so `all` runs every workload
// in a child process of its own.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// n is the operation count that most workloads are sized by.
const n = 1000000

// workload is one benchmark: run does the work (on the main goroutine, the spawner) and returns
// the number of operations that ns/op is counted over.
type workload struct {
	name, what string
	run        func() int
}

var workloads = []workload{
	{"skynet", "1M-leaf tree, 10 children per node, sums over an unbuffered channel per parent", skynetMain},
	{"parked", "1M goroutines blocked on one channel at once, released by close, joined by a WaitGroup", parked},
	{"sleepers", "1M goroutines each sleeping 1 s at once, joined by a WaitGroup", sleepers},
	{"spawn", "1M goroutines that just finish, joined by a WaitGroup", spawn},
	{"whispers", "daisy chain of 100,000 goroutines, left <- 1 + <-right", whispers},
	{"pingpong", "1M round trips of an int over two unbuffered channels", pingpong},
	{"yield", "2 goroutines each calling runtime.Gosched 5M times", yield},
	{"bufchan", "4 producers x 1.25M sends into a channel of capacity 1024, 4 consumers", bufchan},
	{"mutex", "8 goroutines x 1M lock/increment/unlock of one counter", mutex},
}

func skynet(c chan int, num, size, div int) {
	if size == 1 {
		c <- num
		return
	}
	rc := make(chan int)
	sum := 0
	for i := 0; i < div; i++ {
		go skynet(rc, num+i*(size/div), size/div, div)
	}
	for i := 0; i < div; i++ {
		sum += <-rc
	}
	c <- sum
}

func skynetMain() int {
	c := make(chan int)
	go skynet(c, 0, n, 10)
	check("skynet", <-c, 499999500000)
	return n
}

func parked() int {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { <-start; wg.Done() }()
	}
	close(start)
	wg.Wait()
	return n
}

func sleepers() int {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { time.Sleep(time.Second); wg.Done() }()
	}
	wg.Wait()
	return n
}

func spawn() int {
	var wg sync.WaitGroup
	wg.Add(n)
	for i := 0; i < n; i++ {
		go func() { wg.Done() }()
	}
	wg.Wait()
	return n
}

func whispers() int {
	m := 100000
	leftmost := make(chan int)
	right := leftmost
	left := leftmost
	for i := 0; i < m; i++ {
		right = make(chan int)
		go func(l, r chan int) { l <- 1 + <-r }(left, right)
		left = right
	}
	go func(c chan int) { c <- 1 }(right)
	check("whispers", <-leftmost, m+1)
	return n // as the reference definition divides
}

func pingpong() int {
	a, b := make(chan int), make(chan int)
	go func() {
		for v := range a {
			b <- v
		}
	}()
	for i := 0; i < n; i++ {
		a <- i
		<-b
	}
	close(a)
	return n
}

func yield() int {
	var wg sync.WaitGroup
	wg.Add(2)
	for k := 0; k < 2; k++ {
		go func() {
			for i := 0; i < n*5; i++ {
				runtime.Gosched()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return n * 10
}

func bufchan() int {
	ch := make(chan int, 1024)
	var wg sync.WaitGroup
	for p := 0; p < 4; p++ {
		wg.Add(1)
		go func() {
			for i := 0; i < n*5/4; i++ {
				ch <- i
			}
			wg.Done()
		}()
	}
	go func() { wg.Wait(); close(ch) }()
	var done sync.WaitGroup
	for c := 0; c < 4; c++ {
		done.Add(1)
		go func() {
			for range ch {
			}
			done.Done()
		}()
	}
	done.Wait()
	return n * 5
}

func mutex() int {
	var mu sync.Mutex
	counter := 0
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			for i := 0; i < n; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	check("mutex", counter, n*8)
	return n * 8
}

func check(name string, got, want int) {
	if got != want {
		fmt.Fprintf(os.Stderr, "%s: wrong result %d, want %d\n", name, got, want)
		os.Exit(1)
	}
}

// peakRSSMB reads VmHWM (kB) from /proc/self/status and returns whole MB.
func peakRSSMB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			var kb int64
			fmt.Sscanf(rest, "%d", &kb)
			return kb / 1024
		}
	}
	return -1
}

// progress prints a dot on stderr for every second a run takes, until stop is closed; then it
// ends the line of dots and closes done.
func progress(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	dots := false
	for {
		select {
		case <-t.C:
			fmt.Fprint(os.Stderr, ".")
			dots = true
		case <-stop:
			if dots {
				fmt.Fprintln(os.Stderr)
			}
			return
		}
	}
}

func runOne(w workload) {
	stop, done := make(chan struct{}), make(chan struct{})
	go progress(stop, done)
	t := time.Now()
	ops := w.run()
	el := time.Since(t)
	close(stop)
	<-done
	fmt.Printf("%s: %v total, %.1f ns/op, peak RSS %d MB, GOMAXPROCS=%d\n",
		w.name, el, float64(el.Nanoseconds())/float64(ops), peakRSSMB(), runtime.GOMAXPROCS(0))
}

// runAll runs every workload in a child process of its own, so each line's peak RSS is its own.
func runAll() {
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	for _, w := range workloads {
		cmd := exec.Command(self, w.name)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", w.name, err)
			os.Exit(1)
		}
	}
}

func usage() {
	fmt.Fprintf(os.Stderr, `usage: workloads <workload>|all

The Go twin of rungo's million-coroutine benchmark (examples/million.rs). The main goroutine is
the spawner. Prints one line per run:
  <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>
'all' runs every workload, each in a child process of its own (peak RSS is per process).
GOMAXPROCS is taken from the environment, as Go does.

workloads:
`)
	for _, w := range workloads {
		fmt.Fprintf(os.Stderr, "  %-9s %s\n", w.name, w.what)
	}
}

func main() {
	if len(os.Args) != 2 {
		usage()
		os.Exit(2)
	}
	switch arg := os.Args[1]; arg {
	case "-h", "-help", "--help", "help":
		usage()
		return
	case "all":
		runAll()
		return
	default:
		for _, w := range workloads {
			if w.name == arg {
				runOne(w)
				return
			}
		}
		fmt.Fprintf(os.Stderr, "unknown workload %q\n\n", arg)
		usage()
		os.Exit(2)
	}
}
