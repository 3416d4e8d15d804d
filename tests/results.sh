# Sourced by the suite runners (tests/run-conformance.sh, tests/run-lab.sh):
# the results table, one line per test process, in the file $table.

# one table line per test process: arch test label passed failed todo skipped,
# or "arch test label crashed rc=N" when it printed no summary
record() {  # arch test label log rc
    local line
    line=$(tr -d '\r' < "$4" | grep "^summary: $2 " | tail -1)
    if [ -z "$line" ]; then
        printf '%s %s %s crashed rc=%s\n' "$1" "$2" "$3" "$5" >> "$table"
    else
        set -- "$1" "$2" "$3" $line
        printf '%s %s %s %s %s %s %s\n' "$1" "$2" "$3" "$6" "$7" "$8" "$9" >> "$table"
    fi
}
