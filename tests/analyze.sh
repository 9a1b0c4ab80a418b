#!/bin/sh
# `make analyze`: cppcheck over the project's C, with these settings checked
# in. Everything it reports fails the run; a finding that is wrong is
# silenced where it stands, with `cppcheck-suppress ID ; why`.
#  - warning, performance, portability and style checks
#  - variableScope off: declarations at the top of a block are house style
set -u
cd "$(dirname "$0")/.."
exec cppcheck --enable=warning,performance,portability,style --std=c11 --inline-suppr \
    --error-exitcode=1 --quiet -Iconfig -Imatcher -Igateway -D_POSIX_C_SOURCE=200809L \
    --suppress=missingIncludeSystem --suppress=variableScope \
    config matcher gateway fuzz
