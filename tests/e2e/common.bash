# Helpers for the end-to-end tests (sourced). The environment gives
# PIMTUNE (the binary), PT_SRC (source tree), PT_SHARED, PT_ONNX_TESTDATA.
set -u
: "${PIMTUNE:?run through ctest}" "${PT_SRC:?run through ctest}"
fails=0
checks=0
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }

# expect_error WHAT PATTERN CMD...: the command must exit with status 2,
# print exactly one line on stderr that matches PATTERN (grep -E), and
# nothing on stdout.
expect_error() {
  local what=$1 pattern=$2; shift 2
  "$@" >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  local lines; lines=$(wc -l <"$TMP/err")
  if [ "$rc" -ne 2 ]; then
    bad "$what: exit status $rc, expected 2 ($(head -c 300 "$TMP/err"))"
  elif [ "$lines" -ne 1 ]; then
    bad "$what: $lines lines on stderr, expected one: $(head -c 300 "$TMP/err")"
  elif ! grep -Eq -- "$pattern" "$TMP/err"; then
    bad "$what: message '$(cat "$TMP/err")' does not match /$pattern/"
  elif [ -s "$TMP/out" ]; then
    bad "$what: printed on stdout: $(head -c 200 "$TMP/out")"
  else
    ok
  fi
}

finish() {
  echo "$((checks - fails)) passed, $fails failed"
  [ "$fails" -eq 0 ]
}
