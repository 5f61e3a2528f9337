// A coffee shop in the spirit of Sameer Ajmani's dotGo 2017 talk "The Go Programming Language,
// in practice": every latte is ground, pressed, steamed and poured, each stage burning about
// 1 ms of CPU. Five ways to run the shop:
//
//	locking       every barista makes a whole latte holding one shop-wide lock
//	finelocking   one lock per machine (grinder, espresso machine, steamer)
//	multi-N       N of each machine, kept in buffered channels
//	linearpipe-N  one goroutine per stage, stages joined by channels buffered N deep
//	splitpipe-N   the milk is steamed beside grinding and pressing; pouring joins them
//
// The shop runs in a child process with GOMAXPROCS=1 and again with 2: stdout gets the lattes
// served per mode (deterministic), stderr a table of throughput, latency and speedup.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

const orders = 20                  // lattes ordered per mode, all at once
const stageWork = time.Millisecond // CPU each stage burns

var modes = []string{"locking", "finelocking", "multi-2", "linearpipe-1", "splitpipe-1"}

// burn keeps a CPU busy for stageWork: a machine at work.
func burn() {
	for start := time.Now(); time.Since(start) < stageWork; {
	}
}

func grind()     { burn() } // grind the beans
func press()     { burn() } // press the espresso
func steam()     { burn() } // steam the milk
func makeLatte() { burn() } // pour the milk onto the espresso

var shop, grinder, espressoMachine, steamer sync.Mutex

func locking() {
	shop.Lock()
	defer shop.Unlock()
	grind()
	press()
	steam()
	makeLatte()
}

func fineLocking() {
	grinder.Lock()
	grind()
	grinder.Unlock()
	espressoMachine.Lock()
	press()
	espressoMachine.Unlock()
	steamer.Lock()
	steam()
	steamer.Unlock()
	makeLatte()
}

// multi returns a barista's recipe over n of each machine, kept in buffered channels.
func multi(n int) func() {
	grinders, presses, steamers := make(chan int, n), make(chan int, n), make(chan int, n)
	for i := 0; i < n; i++ {
		grinders <- i
		presses <- i
		steamers <- i
	}
	return func() {
		g := <-grinders
		grind()
		grinders <- g
		p := <-presses
		press()
		presses <- p
		s := <-steamers
		steam()
		steamers <- s
		makeLatte()
	}
}

// baristas make every order at once, a goroutine per order, each following recipe.
func baristas(recipe func(), served chan<- time.Duration, start time.Time) {
	var wg sync.WaitGroup
	for i := 0; i < orders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			recipe()
			served <- time.Since(start)
		}()
	}
	wg.Wait()
}

// placeOrders returns a closed channel holding every order.
func placeOrders() <-chan int {
	c := make(chan int, orders)
	for i := 0; i < orders; i++ {
		c <- i
	}
	close(c)
	return c
}

// stage does its work on every order from in and passes it on to out.
func stage(work func(), in <-chan int, out chan<- int) {
	for o := range in {
		work()
		out <- o
	}
	close(out)
}

func linearPipe(n int, served chan<- time.Duration, start time.Time) {
	ground, pressed, steamed := make(chan int, n), make(chan int, n), make(chan int, n)
	go stage(grind, placeOrders(), ground)
	go stage(press, ground, pressed)
	go stage(steam, pressed, steamed)
	for range steamed {
		makeLatte()
		served <- time.Since(start)
	}
}

func splitPipe(n int, served chan<- time.Duration, start time.Time) {
	ground, espresso, milk := make(chan int, n), make(chan int, n), make(chan int, n)
	go stage(grind, placeOrders(), ground)
	go stage(press, ground, espresso)
	go stage(steam, placeOrders(), milk)
	for range espresso {
		<-milk
		makeLatte()
		served <- time.Since(start)
	}
}

// serve runs the shop in one mode; it returns the lattes served, the time that took and
// their mean latency.
func serve(mode string) (lattes int, elapsed, latency time.Duration) {
	name, arg, _ := strings.Cut(mode, "-")
	n, _ := strconv.Atoi(arg)
	served := make(chan time.Duration, orders) // each latte's latency
	start := time.Now()
	switch name {
	case "locking":
		baristas(locking, served, start)
	case "finelocking":
		baristas(fineLocking, served, start)
	case "multi":
		baristas(multi(n), served, start)
	case "linearpipe":
		linearPipe(n, served, start)
	case "splitpipe":
		splitPipe(n, served, start)
	}
	elapsed = time.Since(start)
	close(served)
	for l := range served {
		lattes++
		latency += l
	}
	return lattes, elapsed, latency / time.Duration(lattes)
}

func main() {
	if len(os.Args) > 1 { // a child: every mode with this process's GOMAXPROCS
		for _, mode := range modes {
			lattes, elapsed, latency := serve(mode)
			fmt.Println(mode, lattes, elapsed.Microseconds(), latency.Microseconds())
		}
		return
	}
	rate, latency := map[string][]float64{}, map[string][]float64{}
	for _, procs := range []string{"1", "2"} {
		cmd := exec.Command(os.Args[0], "child")
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs)
		out, err := cmd.Output()
		if err != nil {
			panic(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			var mode string
			var lattes, us, lat float64
			fmt.Sscan(line, &mode, &lattes, &us, &lat)
			fmt.Printf("GOMAXPROCS=%s %-12s %.0f lattes\n", procs, mode, lattes)
			rate[mode] = append(rate[mode], lattes*1e6/us)
			latency[mode] = append(latency[mode], lat/1e3)
		}
	}
	fmt.Fprintf(os.Stderr, "%-12s %11s %11s %8s %10s %10s\n", "mode", "lattes/s(1)", "lattes/s(2)", "speedup", "latency(1)", "latency(2)")
	for _, mode := range modes {
		r, l := rate[mode], latency[mode]
		fmt.Fprintf(os.Stderr, "%-12s %11.0f %11.0f %7.2fx %8.1fms %8.1fms\n", mode, r[0], r[1], r[1]/r[0], l[0], l[1])
	}
}
