"""Load scenarios, baselines and the runner behind `make bench`."""
