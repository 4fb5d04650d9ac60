# Scale benchmark: a 10-file site vs a 10,000-file / 100 MB site (build times full and one-file,
# per-request time, cold start, peak RSS, binary sizes) and the sample site's bytes on the wire.
# Heavy (release builds with LTO of a 100 MB site; minutes): run it alone. Results on stdout and
# in target/scale-results.json; BENCHMARKS.md records a run.

.PHONY: bench-scale
bench-scale: ## Scale benchmark, 10 vs 10,000 files (slow: release builds of a 100 MB site)
	python3 tools/bench-scale.py $(BENCH_SCALE_ARGS)
