module rungo/examples

go 1.23
