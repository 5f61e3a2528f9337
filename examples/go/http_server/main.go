// The Go twin of examples/http_server.rs: net/http with the same routes, flags and graceful
// shutdown. (In its own directory, not examples/go/http_server.go, because
// examples/check_go.sh runs every examples/go/*.go and expects it to exit by itself.)
//
//	cd examples/go && go build -o http_server ./http_server && ./http_server --addr 127.0.0.1:8080
//
// Routes: GET / (hello), POST /echo (echoes the body), GET /sleep?ms=N (sleeps N ms, N <= 60000),
// GET /json (a small struct through encoding/json). A body longer than --max-body gets 413; a
// malformed request 400 (from net/http). ReadTimeout bounds each request and the keep-alive idle
// time. Shutdown on SIGINT/SIGTERM, after --max-requests requests or after --duration: stop
// accepting, close idle connections, let requests in flight finish, exit 0.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

const maxSleepMs = 60000

type greeting struct {
	Message    string `json:"message"`
	Server     string `json:"server"`
	Coroutines int    `json:"coroutines"`
}

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "loopback address to listen on")
	maxRequests := flag.Uint64("max-requests", 0, "shut down after this many requests (0: never)")
	duration := flag.Float64("duration", 0, "shut down after this many seconds (0: never)")
	readTimeoutMs := flag.Int("read-timeout", 5000, "ms for a whole request to arrive")
	maxBody := flag.Int64("max-body", 1<<20, "largest request body, in bytes")
	flag.Parse()

	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		fmt.Fprintf(os.Stderr, "http_server: %s: only loopback addresses are served\n", *addr)
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(*duration*float64(time.Second)))
		defer cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var requests, connections atomic.Uint64
	counted := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			h(w, r)
			if n := requests.Add(1); n == *maxRequests {
				cancel()
			}
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/", counted(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path != "/":
			http.NotFound(w, r)
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		default:
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			io.WriteString(w, "Hello, World!\n")
		}
	}))
	mux.HandleFunc("/echo", counted(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", "POST")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, *maxBody))
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "request body too large", http.StatusRequestEntityTooLarge)
			return
		} else if err != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	}))
	mux.HandleFunc("/sleep", counted(func(w http.ResponseWriter, r *http.Request) {
		ms, err := strconv.ParseUint(r.URL.Query().Get("ms"), 10, 64)
		if err != nil || ms > maxSleepMs {
			http.Error(w, fmt.Sprintf("/sleep needs ms=0..%d", maxSleepMs), http.StatusBadRequest)
			return
		}
		time.Sleep(time.Duration(ms) * time.Millisecond)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "slept %d ms\n", ms)
	}))
	mux.HandleFunc("/json", counted(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(greeting{"Hello, World!", "go", runtime.NumGoroutine()})
	}))

	readTimeout := time.Duration(*readTimeoutMs) * time.Millisecond
	srv := &http.Server{
		Handler:      mux,
		ReadTimeout:  readTimeout,
		WriteTimeout: readTimeout + maxSleepMs*time.Millisecond,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				connections.Add(1)
			}
		},
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(os.Stderr, "http_server: listen on %s: %v\n", *addr, err)
		os.Exit(1)
	}
	fmt.Printf("listening on http://%s\n", ln.Addr())

	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
	case err := <-done:
		fmt.Fprintf(os.Stderr, "http_server: %v\n", err)
		os.Exit(1)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		fmt.Fprintf(os.Stderr, "http_server: shutdown: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("served %d requests on %d connections\n", requests.Load(), connections.Load())
}
