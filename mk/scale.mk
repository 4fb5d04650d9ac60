# Scale benchmark: a 10-file site vs a 10,000-file / 100 MB site (build times full and one-file,
# per-request time, cold start, peak RSS, binary sizes), the sample site's bytes on the wire, and
# the compression policy before vs now on swagger-ui-dist (npm) and the big site.
# Heavy (release builds with LTO of a 100 MB site; minutes): run it alone. Results on stdout and
# in target/scale-results.json; BENCHMARKS.md records a run.

.PHONY: bench-scale bench-compress
bench-scale: ## Scale benchmark, 10 vs 10,000 files (slow: release builds of a 100 MB site)
	python3 tools/bench-scale.py $(BENCH_SCALE_ARGS)

# Only the compression policies: swagger-ui-dist (fetched with npm into target/) and a 10 %
# sample of the big site, bytes on the wire per Accept-Encoding and encoding time before vs now,
# and a full build for swagger-ui-dist. Results in target/compress-results.json.
bench-compress: ## Compression policy before vs now: bytes on the wire and encoding time (swagger-ui-dist, big site)
	python3 tools/bench-scale.py --compress-only $(BENCH_SCALE_ARGS)
