// A Tour of Go: Exercise: Equivalent Binary Trees. The tree package of the Tour
// (golang.org/x/tour/tree) is written out here; New inserts k, 2k, ..., 10k in a scrambled
// (fixed) order instead of a random one.
package main

import "fmt"

// A Tree is a binary tree with integer values.
type Tree struct {
	Left  *Tree
	Value int
	Right *Tree
}

// New returns a binary search tree holding the values k, 2k, ..., 10k.
func New(k int) *Tree {
	var t *Tree
	for i := 0; i < 10; i++ {
		t = insert(t, (i*7%10+1)*k)
	}
	return t
}

func insert(t *Tree, v int) *Tree {
	if t == nil {
		return &Tree{nil, v, nil}
	}
	if v < t.Value {
		t.Left = insert(t.Left, v)
	} else {
		t.Right = insert(t.Right, v)
	}
	return t
}

// Walk walks the tree t sending all values from the tree to the channel ch, then closes it.
func Walk(t *Tree, ch chan int) {
	walk(t, ch)
	close(ch)
}

func walk(t *Tree, ch chan int) {
	if t == nil {
		return
	}
	walk(t.Left, ch)
	ch <- t.Value
	walk(t.Right, ch)
}

// Same determines whether the trees t1 and t2 contain the same values.
func Same(t1, t2 *Tree) bool {
	ch1, ch2 := make(chan int), make(chan int)
	go Walk(t1, ch1)
	go Walk(t2, ch2)
	for {
		v1, ok1 := <-ch1
		v2, ok2 := <-ch2
		if v1 != v2 || ok1 != ok2 {
			return false
		}
		if !ok1 {
			return true
		}
	}
}

func main() {
	ch := make(chan int)
	go Walk(New(1), ch)
	for v := range ch {
		fmt.Println(v)
	}
	fmt.Println(Same(New(1), New(1)))
	fmt.Println(Same(New(1), New(2)))
}
