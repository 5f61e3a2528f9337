//! A bank with a monitor coroutine (The Go Programming Language, 9.1, with exercise 9.1's
//! Withdraw): the teller coroutine owns the balance; everyone else talks to it over channels.
use rungo::channels::LazyChan;
use rungo::prelude::*;

struct Withdrawal {
    amount: i32,
    ok: Chan<bool>,
}

static DEPOSITS: LazyChan<i32> = LazyChan::new(0); // send amount to deposit
static BALANCES: LazyChan<i32> = LazyChan::new(0); // receive balance
static WITHDRAWALS: LazyChan<Withdrawal> = LazyChan::new(0); // send, receive ok

fn deposit(amount: i32) {
    DEPOSITS.send(amount)
}
fn balance() -> i32 {
    BALANCES.recv().unwrap()
}

fn withdraw(amount: i32) -> bool {
    let ok = chan(0);
    WITHDRAWALS.send(Withdrawal {
        amount,
        ok: ok.clone(),
    });
    ok.recv().unwrap()
}

fn teller() {
    let mut balance = 0; // balance is confined to teller coroutine
    loop {
        select! {
            recv(DEPOSITS) -> amount => balance += amount.unwrap(),
            recv(WITHDRAWALS) -> w => {
                let w = w.unwrap();
                if w.amount > balance {
                    w.ok.send(false);
                    continue;
                }
                balance -= w.amount;
                w.ok.send(true);
            }
            send(BALANCES, balance) => {}
        }
    }
}

fn main() {
    rungo::run(|| {
        go!(teller); // start the monitor coroutine
        let wg = WaitGroup::new();
        for i in 1..=100 {
            wg.go(move || deposit(i));
        }
        wg.wait();
        println!("balance after 100 deposits: {}", balance());
        println!("withdraw 5000: {}", withdraw(5000));
        println!("withdraw 50: {}", withdraw(50));
        println!("balance: {}", balance());
    })
}
