#!/bin/sh
# `make analyze`: cppcheck over the project's C, layer by layer with the include
# folders the compiler gives that layer (LAYERS), with these settings checked
# in. Everything it reports fails the run; a finding that is wrong is
# silenced where it stands, with `cppcheck-suppress ID ; why`.
#  - warning, performance, portability and style checks
#  - variableScope off: declarations at the top of a block are house style
set -u
cd "$(dirname "$0")/.."
[ -n "${LAYERS:-}" ] || { echo "analyze: LAYERS is not set (run it through make analyze)"; exit 2; }
all=
status=0
# Each layer with its own include list (the Makefile's LAYERS), as the compiler sees it.
for l in $LAYERS; do
    dir=${l%%:*}
    inc=$(echo "${l#*:}" | tr ',' '\n' | sed 's/^/-I/')
    # shellcheck disable=SC2086
    cppcheck --enable=warning,performance,portability,style --std=c11 --inline-suppr \
        --error-exitcode=1 --quiet $inc -D_POSIX_C_SOURCE=200809L \
        --suppress=missingIncludeSystem --suppress=variableScope "$dir"/*.c || status=1
    all="$all -I$dir"
done
# The fuzz targets see every layer.
# shellcheck disable=SC2086
cppcheck --enable=warning,performance,portability,style --std=c11 --inline-suppr \
    --error-exitcode=1 --quiet $all -D_POSIX_C_SOURCE=200809L \
    --suppress=missingIncludeSystem --suppress=variableScope fuzz || status=1
exit $status
