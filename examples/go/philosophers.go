// Dining philosophers, twice. First the forks are mutexes and every philosopher picks up the
// lower-numbered fork first, so no cycle of waiting can form. Then a host (a buffered channel
// with two seats) lets at most two philosophers at the table, who pick up left, then right.
// Who eats when varies, so main prints what each ate and whether more than two ever ate at once.
package main

import (
	"fmt"
	"sync"
	"time"
)

const meals = 3

var names = []string{"Aristotle", "Kant", "Spinoza", "Marx", "Russell"}

type table struct {
	forks        []sync.Mutex
	host         chan struct{} // seats at the table; nil: no host
	mu           sync.Mutex    // guards the counts below
	ate          []int
	eating, most int
}

func (t *table) dine(p int) {
	first, second := p, (p+1)%len(names)
	if t.host == nil && second < first {
		first, second = second, first // no host: the lower-numbered fork first
	}
	for i := 0; i < meals; i++ {
		if t.host != nil {
			t.host <- struct{}{} // take a seat
		}
		t.forks[first].Lock()
		t.forks[second].Lock()
		t.eat(p)
		t.forks[second].Unlock()
		t.forks[first].Unlock()
		if t.host != nil {
			<-t.host // leave the seat
		}
	}
}

func (t *table) eat(p int) {
	t.mu.Lock()
	t.eating++
	t.most = max(t.most, t.eating)
	t.mu.Unlock()
	time.Sleep(time.Millisecond)
	t.mu.Lock()
	t.eating--
	t.ate[p]++
	t.mu.Unlock()
}

func dinner(host chan struct{}) {
	t := &table{forks: make([]sync.Mutex, len(names)), host: host, ate: make([]int, len(names))}
	var wg sync.WaitGroup
	for p := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.dine(p)
		}()
	}
	wg.Wait()
	for p, name := range names {
		fmt.Printf("%s ate %d meals\n", name, t.ate[p])
	}
	fmt.Println("at most two ate at once:", t.most <= 2)
}

func main() {
	fmt.Println("== forks picked up in order")
	dinner(nil)
	fmt.Println("== a host with two seats")
	dinner(make(chan struct{}, 2))
}
