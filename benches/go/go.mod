module rungobench

go 1.23
