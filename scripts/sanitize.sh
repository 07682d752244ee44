#!/usr/bin/env bash
# make sanitize: the module built with a sanitizer and loaded into Debian's httpd with the
# sanitizer's runtime preloaded into httpd alone (harness: HARNESS_HTTPD_PRELOAD), under the
# e2e cluster, fault, restart and status tests with the event and the prefork MPM. Any
# sanitizer report fails the run.
#
#   scripts/sanitize.sh address   AddressSanitizer (Swift and the C shim) + UBSan (C shim)
#   scripts/sanitize.sh thread    ThreadSanitizer
#   scripts/sanitize.sh thread IntegrationTests/tests/test_ajp_faults.py   only these test files
set -euo pipefail
cd "$(dirname "$0")/.."
kind="${1:-address}"
case "$kind" in
  address) swift_flag=address; c_flags=(-Xcc -fsanitize=address -Xcc -fsanitize=undefined); rt=asan ;;
  thread)  swift_flag=thread;  c_flags=(-Xcc -fsanitize=thread); rt=tsan ;;
  *) echo "usage: $0 address|thread" >&2; exit 2 ;;
esac
swift_bin="$(dirname "$(readlink -f "$(command -v swift)")")"
runtime="$(ls "$swift_bin"/../lib/clang/*/lib/linux/libclang_rt.$rt-x86_64.so | head -n1)"
[ -f "$runtime" ] || { echo "sanitize: no $rt runtime next to the Swift toolchain" >&2; exit 1; }
export HTTPD_INCLUDEDIR="$(apxs -q INCLUDEDIR)" APR_INCLUDEDIR="$(apxs -q APR_INCLUDEDIR)"
build=".build-$rt"
swift build -c release --build-path "$build" -Xswiftc -sanitize=$swift_flag -Xswiftc -static-stdlib \
  -Xswiftc -use-ld=lld "${c_flags[@]}" --product mod_swiftjk
module="$PWD/mod_swiftjk-$rt.so"
cp "$build/release/libmod_swiftjk.so" "$module"
reports="$(mktemp -d /tmp/swiftjk-$rt.XXXXXX)"
chmod 1777 "$reports"     # httpd's children run as www-data
# httpd and APR free their pools at exit, not every byte: leak checking would only report httpd.
export ASAN_OPTIONS="detect_leaks=0:log_path=$reports/report:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:log_path=$reports/report"
export TSAN_OPTIONS="log_path=$reports/report:second_deadlock_stack=1"
export HARNESS_HTTPD_PRELOAD="$runtime"
if [ "$rt" = tsan ]; then
  # The toolchain's TSan runtime carries libdispatch interceptors that bind a libdispatch data
  # symbol when it loads, so httpd fails with "undefined symbol: _dispatch_data_destructor_munmap"
  # unless libdispatch is loaded too. It is only loaded: nothing in httpd or the module calls it.
  dispatch="$swift_bin/../lib/swift/linux/libdispatch.so"
  [ -f "$dispatch" ] || { echo "sanitize: no libdispatch.so next to the Swift toolchain (needed by its TSan runtime)" >&2; exit 1; }
  HARNESS_HTTPD_PRELOAD="$runtime $dispatch"
fi
tests=(IntegrationTests/tests/test_cluster.py IntegrationTests/tests/test_ajp_faults.py
       IntegrationTests/tests/test_restarts.py IntegrationTests/tests/test_status_console.py
       IntegrationTests/tests/test_lb_replay.py IntegrationTests/tests/test_pool.py
       IntegrationTests/tests/test_ajp_bodies.py)
[ "$#" -gt 1 ] && tests=("${@:2}")
status=0
for mpm in event prefork; do
  echo "sanitize ($kind, $mpm): ${tests[*]##*/}"
  JK_MODULE_SO="$module" python3 IntegrationTests/run.py --mpm "$mpm" "${tests[@]}" || status=1
done
found=$(find "$reports" -type f | wc -l)
if [ "$found" -ne 0 ]; then
  echo "sanitize ($kind): $found report(s) in $reports:" >&2
  head -n 60 "$reports"/* >&2
  status=1
else
  echo "sanitize ($kind): 0 reports"
fi
exit $status
