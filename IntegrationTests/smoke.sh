#!/usr/bin/env bash
# Smoke test of the module inside a private httpd: `apache2 -t` (the step that catches undefined
# symbols and configuration errors), start, a request, graceful restart (USR1), hard restart
# (HUP), stop by PID. No Tomcat: a status worker answers.
set -euo pipefail
MODULE=${1:?usage: smoke.sh /path/to/mod_swiftjk.so}
HTTPD=${HTTPD:-/usr/sbin/apache2}
ROOT=$(mktemp -d /tmp/swiftjk-smoke.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
passed=0; failed=0
cleanup() {
  if [ -f "$ROOT/logs/httpd.pid" ]; then kill -TERM "$(cat "$ROOT/logs/httpd.pid")" 2>/dev/null || true; sleep 0.5; fi
  rm -rf "$ROOT"
}
trap cleanup EXIT
check() { if "$@"; then passed=$((passed+1)); echo "PASS $*"; else failed=$((failed+1)); echo "FAIL $*"; fi; }
mkdir -p "$ROOT/conf" "$ROOT/logs" "$ROOT/htdocs"
chmod 755 "$ROOT"; echo ok > "$ROOT/htdocs/index.html"
cat > "$ROOT/conf/workers.properties" <<'W'
worker.list=jkstatus
worker.jkstatus.type=status
W
cat > "$ROOT/conf/httpd.conf" <<C
ServerRoot "$ROOT"
ServerName 127.0.0.1
User www-data
Group www-data
DefaultRuntimeDir "$ROOT/logs"
PidFile "$ROOT/logs/httpd.pid"
Mutex file:$ROOT/logs default
LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
LoadModule authn_core_module /usr/lib/apache2/modules/mod_authn_core.so
Listen 127.0.0.1:$PORT
DocumentRoot "$ROOT/htdocs"
ErrorLog "$ROOT/logs/error.log"
LoadModule jk_module $MODULE
<IfModule mod_jk.c>
JkWorkersFile conf/workers.properties
JkShmFile logs/jk.shm
JkLogFile logs/jk.log
JkLogLevel info
JkMount /jkstatus jkstatus
</IfModule>
C
check "$HTTPD" -d "$ROOT" -f "$ROOT/conf/httpd.conf" -t
"$HTTPD" -d "$ROOT" -f "$ROOT/conf/httpd.conf" -k start
get() { for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$PORT$1" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
check get /jkstatus
check get /index.html
pid=$(cat "$ROOT/logs/httpd.pid")
kill -USR1 "$pid"; sleep 1
check get /jkstatus
kill -HUP "$pid"; sleep 1
check get /jkstatus
check kill -0 "$pid"
echo "--- jk.log"; tail -5 "$ROOT/logs/jk.log" || true
echo "--- error.log"; tail -5 "$ROOT/logs/error.log" || true
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
