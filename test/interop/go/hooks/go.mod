module example.test/hooks

go 1.26
