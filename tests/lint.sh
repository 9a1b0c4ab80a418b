#!/bin/sh
# `make lint`: the style rules a compiler does not enforce.
#  - clang-format clean with the repo's .clang-format
#  - no banned functions (unbounded or locale-dependent string handling)
#  - no log call that could print message text
set -u
cd "$(dirname "$0")/.."
status=0
# Tracked files and new ones not yet added (but not ignored): a file is
# checked before its first commit, not after.
files=$(git ls-files --cached --others --exclude-standard '*.c' '*.h')

if command -v clang-format >/dev/null 2>&1; then
    if ! clang-format --dry-run --Werror $files 2>/dev/null; then
        echo "lint: clang-format would change files (run: make format)"
        status=1
    fi
else
    echo "lint: clang-format not installed; skipped the format check"
fi

banned='\b(sprintf|vsprintf|strcpy|strcat|gets|atoi|atol|atof|strtok|tmpnam)\s*\('
if grep -nE "$banned" $files | grep -v 'lint: allow'; then
    echo "lint: banned function (use snprintf, strtol with checks, buf_*)"
    status=1
fi
if grep -nE 'log_[a-z]+\(.*(->body|\bbody\b)' $files; then
    echo "lint: a log call may print message text"
    status=1
fi
[ $status -eq 0 ] && echo "lint: clean"
exit $status
