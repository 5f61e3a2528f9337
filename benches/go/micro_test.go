package main

// Go testing.B twins of rungo's criterion micro benchmarks (benches/runtime.rs, channels.rs,
// sync.rs). Run from benches/go:
//
//	go test -run '^$' -bench . -benchtime 1s
//
// Each reports ns per operation as Go's testing package counts it; the comment of each names
// the criterion bench (group/name) it is the twin of.

import (
	"runtime"
	"sync"
	"testing"
)

// BenchmarkSpawnRunFinish: spawn a goroutine that does nothing and wait until it has finished,
// in batches of 1024 as rungo's spawn_run_finish does. Twin of runtime/spawn_run_finish.
func BenchmarkSpawnRunFinish(b *testing.B) {
	var wg sync.WaitGroup
	for spawned := 0; spawned < b.N; {
		batch := min(b.N-spawned, 1024)
		wg.Add(batch)
		for i := 0; i < batch; i++ {
			go wg.Done()
		}
		wg.Wait()
		spawned += batch
	}
}

// BenchmarkYieldRoundTripOneWorker: two goroutines on one P calling runtime.Gosched in turn; one
// op is one Gosched of the measuring goroutine. GOMAXPROCS is 1 for the duration, since Go's
// Gosched goes through the global run queue and another P would take the partner. Twin of
// runtime/yield_round_trip_one_worker.
func BenchmarkYieldRoundTripOneWorker(b *testing.B) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				runtime.Gosched()
			}
		}
	}()
	runtime.Gosched()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.Gosched()
	}
	b.StopTimer()
	close(stop)
	<-done
}

// BenchmarkPingPongUnbuffered: one round trip of an int over two unbuffered channels between
// the benchmark goroutine and an echo goroutine. Twin of channels/pingpong_unbuffered.
func BenchmarkPingPongUnbuffered(b *testing.B) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ping <- i
		<-pong
	}
	b.StopTimer()
	close(ping)
}

// BenchmarkSelectTwoReady: a select over two receive cases that are both always ready (two
// buffered channels holding one value each; the chosen value is put back). Twin of
// channels/select_two_ready.
func BenchmarkSelectTwoReady(b *testing.B) {
	x, y := make(chan int, 1), make(chan int, 1)
	x <- 1
	y <- 2
	for i := 0; i < b.N; i++ {
		select {
		case v := <-x:
			x <- v
		case v := <-y:
			y <- v
		}
	}
}

// BenchmarkMutexUncontended: Lock then Unlock by one goroutine. Twin of
// sync/mutex_uncontended.
func BenchmarkMutexUncontended(b *testing.B) {
	var mu sync.Mutex
	for i := 0; i < b.N; i++ {
		mu.Lock()
		mu.Unlock()
	}
}

// BenchmarkMutexContended8: 8 goroutines share b.N lock/increment/unlock operations on one
// counter. Twin of sync/mutex_contended_8.
func BenchmarkMutexContended8(b *testing.B) {
	const workers = 8
	var mu sync.Mutex
	var wg sync.WaitGroup
	counter := 0
	for w := 0; w < workers; w++ {
		ops := b.N / workers
		if w < b.N%workers {
			ops++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < ops; i++ {
				mu.Lock()
				counter++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if counter != b.N {
		b.Fatalf("counter %d, want %d", counter, b.N)
	}
}
