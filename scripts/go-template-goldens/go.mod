module goldens

go 1.19
