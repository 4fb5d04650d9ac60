# Filters `cargo build -vv` down to what plain `cargo build` prints plus the site's encoding
# progress. Cargo shows a build script's output only with -vv, and -vv also prints every rustc
# command line and every build script's output; this keeps
#   - "[alb-static-site <version>] encoding: N/M files (X MB of Y MB)" (build.rs, every ~3 s),
#   - everything else cargo prints: Compiling, warnings, errors in full, Finished,
# and drops the "Running `...`" command lines (which may span lines), "Fresh"/"Dirty" lines and
# the `[crate version] ...` output of build scripts (on failure cargo prints a failed build
# script's output again, in full, under "Caused by:").
# usage: set -o pipefail; cargo build -vv ... 2>&1 | awk -f tools/cargo-progress.awk
in_command {
    if ($0 ~ /`$/) in_command = 0
    next
}
/^ +Running `/ {
    if ($0 !~ /`$/) in_command = 1
    next
}
/^ +(Fresh|Dirty) / { next }
/^\[alb-static-site [^]]*\] encoding: / { print; fflush(); next }
/^\[[^] ]+ [^]]+\] / { next }
{ print; fflush() }
