#!/bin/sh
# version.sh: the release version. configure.ac's AC_INIT is the one place
# it is set; in a git checkout that is not at the tag v<version>, git's
# commit is added (1.0+g1234abc, and .dirty with uncommitted changes).
cd "$(dirname "$0")/../.." || exit 1
base=$(sed -n 's/^AC_INIT(\[[^]]*\],[[:space:]]*\[\([^]]*\)\].*/\1/p' configure.ac)
[ -n "$base" ] || { echo "version.sh: no version in configure.ac's AC_INIT" >&2; exit 1; }
if command -v git >/dev/null 2>&1 && git rev-parse --git-dir >/dev/null 2>&1; then
    if [ "$(git describe --tags --exact-match 2>/dev/null)" = "v$base" ] && git diff --quiet HEAD 2>/dev/null; then
        echo "$base"
    else
        dirty=""
        git diff --quiet HEAD 2>/dev/null || dirty=.dirty
        echo "$base+g$(git rev-parse --short HEAD)$dirty"
    fi
else
    echo "$base"
fi
