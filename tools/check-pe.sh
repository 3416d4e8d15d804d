#!/bin/sh
# check-pe.sh DLL...: each file must be a plain PE that Wine loads as native:
# the right machine for its directory, and no "Wine builtin DLL" signature
# (what winebuild's builtin mode writes at offset 0x40; Wine would then map
# its own builtin instead of the file).
status=0
for f in "$@"; do
    sig=$(dd if="$f" bs=1 skip=64 count=16 2>/dev/null | tr -d '\0')
    case "$sig" in
    "Wine builtin DLL"*) echo "check-pe: $f carries Wine's builtin signature" >&2; status=1 ;;
    esac
    kind=$(file -b "$f" 2>/dev/null || true)
    case "$f" in
    *x86_64-windows*) want="PE32+" ;;
    *i386-windows*)   want="PE32 " ;;
    *) want="PE32" ;;
    esac
    case "$kind" in
    "$want"*) ;;
    "") ;;  # file(1) not installed: the signature check above still ran
    *) echo "check-pe: $f is not $want: $kind" >&2; status=1 ;;
    esac
done
exit $status
