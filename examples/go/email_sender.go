// Sends N emails to a local SMTP server with net/smtp, one connection per email (twin of
// ../email_sender.rs). -concurrency C goroutines take email numbers from a channel: 1 is
// sequential, the CPU count is one worker per core, 100 keeps 100 emails in flight.
//
//	go run email_sender.go -addr 127.0.0.1:2525 -n 1000 -concurrency 100
package main

import (
	"flag"
	"fmt"
	"net/smtp"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// message is email i: headers and a body of 14 lines of 70 characters, about 1 KiB.
func message(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "From: sender@localhost\r\nTo: rcpt%d@localhost\r\nSubject: message %d\r\n\r\n", i, i)
	for line := 0; line < 14; line++ {
		b.WriteString(strings.Repeat(string(rune('a'+(i+line)%26)), 70))
		b.WriteString("\r\n")
	}
	return b.String()
}

// send delivers email i in one SMTP session: EHLO, MAIL, RCPT, DATA, QUIT.
func send(addr string, i int) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("localhost"); err != nil {
		return err
	}
	if err := c.Mail("sender@localhost"); err != nil {
		return err
	}
	if err := c.Rcpt(fmt.Sprintf("rcpt%d@localhost", i)); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte(message(i))); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func main() {
	addr := flag.String("addr", "127.0.0.1:2525", "SMTP server")
	n := flag.Int("n", 1000, "emails to send")
	conc := flag.String("concurrency", "cpu", "workers: a number, or cpu for one per CPU")
	flag.Parse()
	workers := runtime.NumCPU()
	if *conc != "cpu" {
		w, err := strconv.Atoi(*conc)
		if err != nil {
			panic("-concurrency N")
		}
		workers = max(w, 1)
	}
	jobs := make(chan int, workers)
	var sent, failed atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				if err := send(*addr, i); err != nil {
					fmt.Fprintf(os.Stderr, "email %d: %v\n", i, err)
					failed.Add(1)
				} else {
					sent.Add(1)
				}
			}
		}()
	}
	for i := 0; i < *n; i++ {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	secs := time.Since(start).Seconds()
	fmt.Printf("sent %d emails (%d failed) with concurrency %d\n", sent.Load(), failed.Load(), workers)
	fmt.Printf("time: %.3f s\n", secs)
	fmt.Printf("rate: %.1f emails/s\n", float64(sent.Load())/secs)
	if failed.Load() > 0 {
		os.Exit(1)
	}
}
