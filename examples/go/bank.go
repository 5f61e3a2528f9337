// A bank with a monitor goroutine (The Go Programming Language, 9.1, with exercise 9.1's
// Withdraw): the teller goroutine owns the balance; everyone else talks to it over channels.
package main

import (
	"fmt"
	"sync"
)

type withdrawal struct {
	amount int
	ok     chan bool
}

var deposits = make(chan int)           // send amount to deposit
var balances = make(chan int)           // receive balance
var withdrawals = make(chan withdrawal) // send a withdrawal, receive whether it succeeded

func Deposit(amount int) { deposits <- amount }
func Balance() int       { return <-balances }

func Withdraw(amount int) bool {
	ok := make(chan bool)
	withdrawals <- withdrawal{amount, ok}
	return <-ok
}

func teller() {
	var balance int // balance is confined to teller goroutine
	for {
		select {
		case amount := <-deposits:
			balance += amount
		case w := <-withdrawals:
			if w.amount > balance {
				w.ok <- false
				continue
			}
			balance -= w.amount
			w.ok <- true
		case balances <- balance:
		}
	}
}

func main() {
	go teller() // start the monitor goroutine
	var wg sync.WaitGroup
	for i := 1; i <= 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			Deposit(i)
		}()
	}
	wg.Wait()
	fmt.Println("balance after 100 deposits:", Balance())
	fmt.Println("withdraw 5000:", Withdraw(5000))
	fmt.Println("withdraw 50:", Withdraw(50))
	fmt.Println("balance:", Balance())
}
