// A Go echo server: an accept loop with a goroutine per connection, each echoing lines until
// its client closes. Bounded: it starts its 100 clients itself, serves them, and exits.
package main

import (
	"bufio"
	"fmt"
	"net"
)

const clients = 100

func handle(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		if _, err := conn.Write([]byte(line)); err != nil {
			return
		}
	}
}

func client(addr string, id int, results chan<- int) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		panic(err)
	}
	r := bufio.NewReader(conn)
	n := 0
	for i := 0; i < 3; i++ {
		msg := fmt.Sprintf("client %d message %d\n", id, i)
		conn.Write([]byte(msg))
		back, err := r.ReadString('\n')
		if err != nil || back != msg {
			panic(fmt.Sprint(back, err))
		}
		n += len(back)
	}
	conn.Close()
	results <- n
}

func main() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	addr := ln.Addr().String()
	results := make(chan int, clients)
	for id := 0; id < clients; id++ {
		go client(addr, id, results)
	}
	for i := 0; i < clients; i++ {
		conn, err := ln.Accept()
		if err != nil {
			panic(err)
		}
		go handle(conn)
	}
	total := 0
	for i := 0; i < clients; i++ {
		total += <-results
	}
	ln.Close()
	fmt.Printf("served %d clients, echoed %d bytes\n", clients, total)
}
