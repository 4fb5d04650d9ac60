# Filters `cargo build -vv` down to what plain `cargo build` prints plus the site's encoding
# progress. Cargo shows a build script's output only with -vv, and -vv also prints every rustc
# command line, every build script's output and the dependencies' own warnings; this keeps
#   - "[alb-static-site <version>] encoding: N/M files (X MB of Y MB)" (build.rs, every ~3 s),
#   - "[alb-static-site <version>] stage: walk|encode|pack|write S s (...)" (build.rs),
#   - everything else cargo prints: Compiling, this workspace's warnings, every error in full,
#     Finished,
# and drops the "Running `...`" command lines (which may span lines), "Fresh"/"Dirty" lines,
# the `[crate version] ...` output of build scripts (on failure cargo prints a failed build
# script's output again, in full, under "Caused by:"), and the warnings of dependencies, which
# plain cargo does not show either: a warning whose first location is an absolute path (cargo
# names this workspace's files by relative paths), its "generated N warnings" line, and
# "warning: crate@version: ..." lines of dependencies' build scripts; and it shortens the
# "process didn't exit successfully" line of an error to the command, without -vv's environment.
# usage: set -o pipefail; cargo build -vv ... 2>&1 | awk -f tools/cargo-progress.awk

function emit(line) { print line; fflush() }

# A warning held back until the next line says where it points.
held != "" {
    if ($0 ~ /^ +--> \//) { held = ""; skipping = 1; dropped = 1; next }
    emit(held); held = ""; dropped = 0
}
# The rest of a dependency's warning, up to the blank line that ends it.
skipping { if ($0 == "") skipping = 0; next }
in_command {
    if ($0 ~ /`$/) in_command = 0
    next
}
/^ +Running `/ {
    if ($0 !~ /`$/) in_command = 1
    next
}
/^ +(Fresh|Dirty) / { next }
/^\[alb-static-site [^]]*\] (encoding|stage): / { emit($0); next }
/^\[[^] ]+ [^]]+\] / { next }
/^warning: `[^`]+` \(.*\) generated [0-9]+ warnings?/ { if (!dropped) emit($0); next }
/^warning: [^ @]+@[0-9][^ ]*: / && !/^warning: alb-static-site@/ { next }
/^warning(\[[^]]*\])?: / { held = $0; next }
# -vv names a failed process with its whole environment (thousands of characters); keep the
# command, as plain cargo does.
/^  process didn't exit successfully: `/ {
    line = $0
    while (match(line, /`[A-Z_][A-Z0-9_]*=('[^']*'|[^ ']*) /))
        line = substr(line, 1, RSTART) substr(line, RSTART + RLENGTH)
    emit(line)
    next
}
{ emit($0) }
END { if (held != "") emit(held) }
