#!/usr/bin/env bash
# The checks made inside a booted Debian 12 container under a real systemd (started by
# boot-test.sh): install with deploy/install.sh, start, STATUS, reload keeps state, who may use
# the Unix socket (group switchyard, listen.unix_group) and that callers are recorded by uid, the
# watchdog restarts a wedged daemon, a clean stop, structured journal fields, and socket
# activation. Writes a log to /out/results.txt ending in "RESULT: pass" or "RESULT: fail".
set -u
exec >/out/results.txt 2>&1
t0=$(date +%s.%N)
elapsed() { awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }
finish() { echo "RESULT: $1"; sync; systemctl --no-block poweroff; exit 0; }
fail() { echo "FAIL: $*"; systemctl status switchyard --no-pager -l 2>&1 | head -30; journalctl -u switchyard --no-pager -n 30; finish fail; }
step() { echo "== $*"; }
providers() { curl -sf --max-time 5 --unix-socket /run/switchyard/switchyard.sock http://localhost/v1/providers; }
# Waits up to $1 seconds for the command that follows to succeed.
wait_for() { local limit=$1; shift; for _ in $(seq $((limit * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

step "systemd $(systemctl --version | head -1 | cut -d' ' -f2), $(. /etc/os-release; echo "$PRETTY_NAME")"
step "install"
/src/deploy/install.sh --binary /sybin/switchyard || fail "install.sh"
/src/deploy/install.sh --binary /sybin/switchyard >/dev/null || fail "install.sh (second run)"
systemd-run --quiet --unit=sim -p DynamicUser=yes /sybin/switchyard-sim --port 18080 --models m --latency-ms 2 || fail "simulator"
cat > /etc/switchyard/switchyard.yaml <<'YAML'
probe: { interval: 1s, timeout: 2s, mode: liveness }
providers:
  - { name: sim, kind: openai, base_url: "http://127.0.0.1:18080/v1", models: [{ name: m }] }
YAML

step "start"
systemctl start switchyard || fail "systemctl start"
[ "$(systemctl is-active switchyard)" = active ] || fail "not active after start"
wait_for 15 sh -c 'systemctl show -p StatusText --value switchyard | grep -q "1 healthy"' || fail "STATUS never showed a healthy target"
systemctl status switchyard --no-pager | sed -n '1,12p'
echo "started and healthy after $(elapsed)"

step "reload"
pid=$(systemctl show -p MainPID --value switchyard)
wait_for 10 sh -c 'curl -sf --unix-socket /run/switchyard/switchyard.sock http://localhost/v1/providers | grep -q "\"state\":\"healthy\""' || fail "no healthy target before reload"
before=$(providers | grep -o '"samples":[0-9]*' | head -1 | cut -d: -f2)
cp /etc/switchyard/switchyard.yaml /tmp/one-provider.yaml
cat >> /etc/switchyard/switchyard.yaml <<'YAML'
  - { name: sim2, kind: openai, base_url: "http://127.0.0.1:18080/v1", models: [{ name: m }] }
YAML
systemctl reload switchyard || fail "systemctl reload (a second provider)"
[ "$(systemctl show -p MainPID --value switchyard)" = "$pid" ] || fail "reload restarted the daemon"
after=$(providers | grep -o '"samples":[0-9]*' | head -1 | cut -d: -f2)
state=$(providers | grep -o '"state":"[a-z_]*"' | head -1)
echo "kept target: samples before reload ${before:-?}, after ${after:-?}, $state"
[ -n "$before" ] && [ -n "$after" ] && [ "$after" -ge "$before" ] && [ "$state" = '"state":"healthy"' ] || fail "reload lost the kept target's state"
providers | grep -q '"name":"sim2"' || fail "the added provider is not served"
journalctl -u switchyard --no-pager | grep -m1 "configuration reloaded" || fail "no reload in the journal"
echo "intervall: 1s" >> /etc/switchyard/switchyard.yaml
if systemctl reload switchyard; then fail "a broken file was accepted"; fi
[ "$(systemctl show -p MainPID --value switchyard)" = "$pid" ] && [ "$(systemctl is-active switchyard)" = active ] || fail "a refused reload stopped the daemon"
curl -s --unix-socket /run/switchyard/switchyard.sock http://localhost/readyz | grep -o '"reload_problem":"[^"]*"' || fail "no reload_problem in /readyz"
cp /tmp/one-provider.yaml /etc/switchyard/switchyard.yaml
systemctl reload switchyard || fail "reload back to one provider"
systemctl show -p StatusText --value switchyard

step "unix socket access"
# Group switchyard may use the socket (0660) and its uid is recorded as itself (no private user namespace).
useradd --create-home --groups switchyard alice || fail "useradd alice"
useradd --create-home bob || fail "useradd bob"
sock=/run/switchyard/switchyard.sock
stat -c '%a %U:%G %n' /run/switchyard "$sock"
[ "$(stat -c '%a %G' "$sock")" = "660 switchyard" ] || fail "the socket is not 0660 group switchyard"
drained=$(runuser -u alice -- curl -sS --max-time 5 --unix-socket "$sock" -X POST http://localhost/v1/admin/providers/sim/drain) || fail "alice (group switchyard) could not drain: $drained"
echo "alice: $drained"
echo "$drained" | grep -q "\"caller\":\"uid:$(id -u alice)\"" || fail "the drain was not recorded as uid:$(id -u alice) (PrivateUsers= maps everyone else to 65534)"
curl -s --unix-socket "$sock" http://localhost/v1/events | grep -q "drained by uid:$(id -u alice)" || fail "no 'drained by uid:$(id -u alice)' in the events"
if refused=$(runuser -u bob -- curl -sS --max-time 5 --unix-socket "$sock" -X POST http://localhost/v1/admin/providers/sim/undrain 2>&1); then fail "bob (not in the group) could use the socket: $refused"; fi
echo "bob: $refused"
providers | grep -q '"state":"draining"' || fail "bob's refused undrain changed the state"
curl -sf --unix-socket "$sock" -X POST http://localhost/v1/admin/providers/sim/undrain >/dev/null || fail "undrain"
# listen.unix_group: another group gets the socket; the daemon needs it as a supplementary group
# and chown back from @privileged (the drop-in the unit's comment describes).
groupadd sy-clients && useradd --create-home --groups sy-clients carol || fail "useradd carol"
cp /etc/switchyard/switchyard.yaml /tmp/before-group.yaml
printf 'listen: { unix_group: sy-clients }\n' >> /etc/switchyard/switchyard.yaml
mkdir -p /etc/systemd/system/switchyard.service.d
printf '[Service]\nSupplementaryGroups=sy-clients\nSystemCallFilter=@chown\n' > /etc/systemd/system/switchyard.service.d/group.conf
systemctl daemon-reload
systemctl restart switchyard || fail "restart with unix_group"
wait_for 15 test -S "$sock" || fail "no socket after restart"
stat -c '%a %U:%G %n' "$sock"
[ "$(stat -c '%a %G' "$sock")" = "660 sy-clients" ] || fail "listen.unix_group did not give the socket to sy-clients"
wait_for 15 runuser -u carol -- curl -sf --max-time 5 --unix-socket "$sock" http://localhost/healthz || fail "carol (group sy-clients) cannot reach the socket"
drained=$(runuser -u carol -- curl -sS --max-time 5 --unix-socket "$sock" -X POST http://localhost/v1/admin/providers/sim/drain) || fail "carol could not drain: $drained"
echo "$drained" | grep -q "\"caller\":\"uid:$(id -u carol)\"" || fail "carol's drain was not recorded as uid:$(id -u carol): $drained"
echo "carol: $drained"
if runuser -u alice -- curl -sf --max-time 5 --unix-socket "$sock" http://localhost/healthz >/dev/null 2>&1; then fail "alice (not in sy-clients) could use the socket"; fi
curl -sf --unix-socket "$sock" -X POST http://localhost/v1/admin/providers/sim/undrain >/dev/null || fail "undrain"
cp /tmp/before-group.yaml /etc/switchyard/switchyard.yaml
rm -r /etc/systemd/system/switchyard.service.d
systemctl daemon-reload
systemctl restart switchyard || fail "restart without unix_group"

step "watchdog"
mkdir -p /etc/systemd/system/switchyard.service.d
cat > /etc/systemd/system/switchyard.service.d/wedge.conf <<'UNIT'
[Service]
ExecStart=
ExecStart=/usr/local/bin/switchyard serve --config /etc/switchyard/switchyard.yaml --debug-wedge-scheduler-after 2
WatchdogSec=2s
UNIT
systemctl daemon-reload
systemctl restart switchyard || fail "restart with the wedge"
wait_for 40 sh -c '[ "$(systemctl show -p NRestarts --value switchyard)" -ge 1 ]' || fail "the watchdog did not restart the wedged daemon"
journalctl -u switchyard --no-pager | grep -m1 -i "watchdog timeout" || fail "no watchdog timeout in the journal"
echo "restarts: $(systemctl show -p NRestarts --value switchyard)"
rm -r /etc/systemd/system/switchyard.service.d
systemctl daemon-reload
systemctl reset-failed switchyard 2>/dev/null
systemctl restart switchyard || fail "restart without the wedge"

step "stop"
wait_for 15 sh -c 'systemctl show -p StatusText --value switchyard | grep -q "1 healthy"' || fail "not healthy after restart"
s0=$(date +%s.%N)
systemctl stop switchyard || fail "systemctl stop"
echo "stopped in $(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }') s; $(systemctl show -p Result -p ExecMainStatus switchyard | tr '\n' ' ')"
[ "$(systemctl show -p Result --value switchyard)" = success ] || fail "stop was not clean"
[ "$(systemctl show -p ExecMainStatus --value switchyard)" = 0 ] || fail "non-zero exit status"

step "journal"
entry=$(journalctl -u switchyard -o json --no-pager | grep '"SWITCHYARD_EVENT"' | head -1)
[ -n "$entry" ] || fail "no entry with SWITCHYARD_EVENT"
for field in MESSAGE PRIORITY CODE_FILE CODE_LINE CODE_FUNC SWITCHYARD_PROVIDER SWITCHYARD_MODEL SWITCHYARD_EVENT; do
    echo "$entry" | grep -q "\"$field\"" || fail "journal entry without $field: $entry"
done
echo "$entry" | tr ',' '\n' | grep -E '"(MESSAGE|PRIORITY|CODE_FILE|CODE_LINE|SWITCHYARD_[A-Z]+)"'

step "socket activation"
systemctl start switchyard.socket || fail "socket unit"
[ "$(systemctl is-active switchyard)" = inactive ] || fail "service running before the first connection"
curl -sf --max-time 20 --unix-socket /run/switchyard/switchyard.sock http://localhost/healthz || fail "no answer through the activated socket"
echo
[ "$(systemctl is-active switchyard)" = active ] || fail "service not started by the socket"
curl -sf --max-time 5 http://127.0.0.1:7464/healthz || fail "no answer on the activated TCP socket"
echo
stat -c '%a %U:%G %n' /run/switchyard/switchyard.sock
systemctl stop switchyard.socket switchyard

echo "all checks done in $(elapsed)"
finish pass
