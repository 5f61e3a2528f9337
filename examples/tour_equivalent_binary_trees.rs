//! A Tour of Go: Exercise: Equivalent Binary Trees (twin: `go/tour_equivalent_binary_trees.go`).
use rungo::prelude::*;

/// A binary tree with integer values: `None` is Go's nil `*Tree`.
type Tree = Option<Box<Node>>;

struct Node {
    left: Tree,
    value: i32,
    right: Tree,
}

/// Returns a binary search tree holding the values k, 2k, ..., 10k.
fn new(k: i32) -> Tree {
    let mut t = None;
    for i in 0..10 {
        t = insert(t, (i * 7 % 10 + 1) * k);
    }
    t
}

fn insert(t: Tree, v: i32) -> Tree {
    let Some(mut t) = t else {
        return Some(Box::new(Node {
            left: None,
            value: v,
            right: None,
        }));
    };
    if v < t.value {
        t.left = insert(t.left, v);
    } else {
        t.right = insert(t.right, v);
    }
    Some(t)
}

/// Walks the tree t sending all values from the tree to the channel ch, then closes it.
fn walk_all(t: Tree, ch: Chan<i32>) {
    walk(&t, &ch);
    ch.close();
}

fn walk(t: &Tree, ch: &Chan<i32>) {
    let Some(t) = t else {
        return;
    };
    walk(&t.left, ch);
    ch.send(t.value);
    walk(&t.right, ch);
}

/// Determines whether the trees t1 and t2 contain the same values.
fn same(t1: Tree, t2: Tree) -> bool {
    let (ch1, ch2) = (chan(0), chan(0));
    go!(walk_all, t1, ch1.clone());
    go!(walk_all, t2, ch2.clone());
    loop {
        let v1 = ch1.recv();
        let v2 = ch2.recv();
        if v1 != v2 {
            return false;
        }
        if v1.is_none() {
            return true;
        }
    }
}

fn main() {
    run(|| {
        let ch = chan(0);
        go!(walk_all, new(1), ch.clone());
        for v in &ch {
            println!("{v}");
        }
        println!("{}", same(new(1), new(1)));
        println!("{}", same(new(1), new(2)));
    })
}
