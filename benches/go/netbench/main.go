// Command netbench is the Go twin of rungo's network benchmark (examples/netbench.rs): the same
// four workloads over loopback TCP at the same sizes, printing the same line, so that
// benches/compare_net.sh can run them side by side (with the tokio twin, benches/tokio).
//
//	go build -o netbench ./netbench && ./netbench <workload>|all
//
// Each run prints one line:
//
//	<workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>
//
// idle8k prints one more line before it, the resident memory each connection adds:
//
//	idle8k per-connection: <KB> KB RSS (VmRSS <MB> MB before, <MB> MB after 8000 connections)
//
// Client and server live in this one process, on 127.0.0.1, with a goroutine per connection on
// each side and TCP_NODELAY set on both ends; messages are 64 bytes, echoed whole. Peak RSS is
// VmHWM from /proc/self/status, which is per process, so `all` runs every workload in a child
// process of its own.
package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"
)

// msgSize is the size of every message, both ways.
const msgSize = 64

// workload is one benchmark: run does the work on the main goroutine and returns the number of
// operations that ns/op is counted over, and an extra line to print before the result (or "").
type workload struct {
	name, what string
	run        func() (int, string)
}

var workloads = []workload{
	{"echo1", "one connection, 100,000 round trips of 64 bytes (ns/op per round trip)", echo1},
	{"echo1k", "1,000 connections at once, 100 round trips of 64 bytes each (ns/op per round trip)", echo1k},
	{"accept", "20,000 connect/accept/close cycles from 50 client goroutines (ns/op per cycle)", accept},
	{"idle8k", "8,000 connections held open after one round trip each (ns/op per connection)", idle8k},
}

// listen binds 127.0.0.1 on a free port and serves every connection with handle on a goroutine
// of its own, until the process ends. It returns the address to dial.
func listen(handle func(*net.TCPConn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal("listen", err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				fatal("accept", err)
			}
			tc := c.(*net.TCPConn)
			if err := tc.SetNoDelay(true); err != nil {
				fatal("set nodelay (server)", err)
			}
			go handle(tc)
		}
	}()
	return ln.Addr().String()
}

// echo is the server side of a connection: it reads 64-byte messages and writes each back,
// until the client closes.
func echo(c *net.TCPConn) {
	defer c.Close()
	buf := make([]byte, msgSize)
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			if errors.Is(err, io.EOF) {
				return
			}
			fatal("server read", err)
		}
		if _, err := c.Write(buf); err != nil {
			fatal("server write", err)
		}
	}
}

// dial connects to addr with TCP_NODELAY set.
func dial(addr string) *net.TCPConn {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		fatal("dial", err)
	}
	tc := c.(*net.TCPConn)
	if err := tc.SetNoDelay(true); err != nil {
		fatal("set nodelay (client)", err)
	}
	return tc
}

// roundTrips writes k 64-byte messages to c, one at a time, each numbered, and reads each back,
// checking that it is the one sent.
func roundTrips(c *net.TCPConn, k int) {
	out, in := make([]byte, msgSize), make([]byte, msgSize)
	for i := 0; i < k; i++ {
		binary.LittleEndian.PutUint64(out, uint64(i))
		if _, err := c.Write(out); err != nil {
			fatal("client write", err)
		}
		if _, err := io.ReadFull(c, in); err != nil {
			fatal("client read", err)
		}
		if !bytes.Equal(in, out) {
			fatal("client read", errors.New("the echo differs from the message sent"))
		}
	}
}

func echo1() (int, string) {
	addr := listen(echo)
	c := dial(addr)
	roundTrips(c, 100000)
	c.Close()
	return 100000, ""
}

func echo1k() (int, string) {
	addr := listen(echo)
	var wg sync.WaitGroup
	wg.Add(1000)
	for g := 0; g < 1000; g++ {
		go func() {
			c := dial(addr)
			roundTrips(c, 100)
			c.Close()
			wg.Done()
		}()
	}
	wg.Wait()
	return 1000 * 100, ""
}

func accept() (int, string) {
	// The server closes each connection at once; the client waits for that end of file, so each
	// client has one connection in flight and the accept queue never overflows.
	addr := listen(func(c *net.TCPConn) { c.Close() })
	var wg sync.WaitGroup
	wg.Add(50)
	for g := 0; g < 50; g++ {
		go func() {
			var b [1]byte
			for i := 0; i < 20000/50; i++ {
				c := dial(addr)
				if n, err := c.Read(b[:]); n != 0 || err != io.EOF {
					fatal("client read", fmt.Errorf("want end of file, got %d bytes, %v", n, err))
				}
				c.Close()
			}
			wg.Done()
		}()
	}
	wg.Wait()
	return 20000, ""
}

func idle8k() (int, string) {
	const conns = 8000
	addr := listen(echo)
	before := rssKB("VmRSS:")
	var wg sync.WaitGroup
	wg.Add(conns)
	for g := 0; g < conns; g++ {
		go func() {
			c := dial(addr)
			roundTrips(c, 1)
			wg.Done()
			// Held open, parked in a read that the server never answers, until the process ends.
			var b [1]byte
			c.Read(b[:])
			fatal("idle client", errors.New("read returned"))
		}()
	}
	wg.Wait()
	after := rssKB("VmRSS:")
	note := fmt.Sprintf("idle8k per-connection: %.1f KB RSS (VmRSS %d MB before, %d MB after %d connections)",
		float64(after-before)/conns, before/1024, after/1024, conns)
	return conns, note
}

func fatal(what string, err error) {
	fmt.Fprintf(os.Stderr, "netbench: %s: %v\n", what, err)
	os.Exit(1)
}

// raiseFileLimit raises the soft open-file limit to the hard one (idle8k holds 16,000 fds).
// Go 1.19 and later do this at start-up already; doing it again is harmless.
func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fatal("getrlimit", err)
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fatal("setrlimit", err)
	}
}

// rssKB reads a kB field (VmHWM:, VmRSS:) of /proc/self/status; -1 when it cannot.
func rssKB(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			var kb int64
			fmt.Sscanf(rest, "%d", &kb)
			return kb
		}
	}
	return -1
}

// peakRSSMB is VmHWM in whole MB.
func peakRSSMB() int64 {
	kb := rssKB("VmHWM:")
	if kb < 0 {
		return -1
	}
	return kb / 1024
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
	raiseFileLimit()
	stop, done := make(chan struct{}), make(chan struct{})
	go progress(stop, done)
	t := time.Now()
	ops, note := w.run()
	el := time.Since(t)
	close(stop)
	<-done
	if note != "" {
		fmt.Println(note)
	}
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
	fmt.Fprintf(os.Stderr, `usage: netbench <workload>|all

The Go twin of rungo's network benchmark (examples/netbench.rs): loopback TCP, client and server
in this process, a goroutine per connection on each side, 64-byte messages, TCP_NODELAY on both
ends. The main goroutine is the client's spawner. Prints one line per run:
  <workload>: <total duration> total, <ns/op> ns/op, peak RSS <MB> MB, GOMAXPROCS=<n>
idle8k first prints the RSS each connection (both ends) adds.
'all' runs every workload, each in a child process of its own (peak RSS is per process).
GOMAXPROCS is taken from the environment, as Go does.

workloads:
`)
	for _, w := range workloads {
		fmt.Fprintf(os.Stderr, "  %-7s %s\n", w.name, w.what)
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
