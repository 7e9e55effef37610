#!/bin/sh
# The command line: Click's userlevel options through `mboxsh` and the
# `click` link.  Usage: test_cli.sh BUILD_DIR
set -u
B=$1
SRC=$(cd "$(dirname "$0")/../.." && pwd)
fails=0
check() { # name, expected, actual
	if [ "$2" = "$3" ]; then
		echo "ok $1"
	else
		echo "FAIL $1: expected [$2], got [$3]"
		fails=$((fails + 1))
	fi
}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
printf 'src :: InfiniteSource(LIMIT $N, STOP true) -> c :: Counter -> Discard;\n' >"$T/c.click"

check "click link, positional file, definition" 7 "$("$B/click" "$T/c.click" N=7 -h c.count 2>&1)"
check "mboxsh -f" 3 "$("$B/mboxsh" --no-live -f "$T/c.click" N=3 -h c.count 2>&1)"
check "-f - reads stdin" 4 "$("$B/mboxsh" --no-live -f - N=4 -h c.count <"$T/c.click" 2>&1)"
check "-e expression" 2 "$("$B/click" -e 'InfiniteSource(LIMIT 2, STOP true) -> c :: Counter -> Discard' -h c.count 2>&1)"
check "-q -o - flattens without running" "// flat configuration
src :: InfiniteSource(LIMIT 5, STOP true);
c :: Counter;
Discard@3 :: Discard;
src -> c;
c -> Discard@3;" "$("$B/click" -q -o - -f "$T/c.click" N=5 2>&1)"
"$B/click" -q -o "$T/flat.click" -f "$T/c.click" N=6
check "-o FILE then run the flat file" 6 "$("$B/click" "$T/flat.click" -h c.count 2>&1)"
check "-q runs nothing" 0 "$("$B/click" -q "$T/c.click" N=5 -h c.count 2>&1)"
check "two handlers, Click's format" "c.count:
1

c.byte_count:
69" "$("$B/click" "$T/c.click" N=1 -h c.count -h c.byte_count 2>&1)"
out=$("$B/click" -e 'x :: Foo' 2>&1); st=$?
check "bad config exit status" 1 "$st"
check "bad config message" "<expr>:1:6: unknown element class 'Foo'
Router could not be initialized!" "$out"
out=$("$B/click" "$T/nosuch.click" 2>&1); st=$?
check "missing file" "1 $T/nosuch.click: No such file or directory" "$st $out"
"$B/mboxsh" --bogus >/dev/null 2>&1; check "bad option" 1 $?
check "--version" "mboxsh 0.1.0 (Click language compatible)" "$("$B/mboxsh" --version)"
"$B/mboxsh" --help | grep -q -- '--handler ELEM.H'; check "--help" 0 $?
check "router stop handler via Script" "stopped" "$("$B/click" -e 'InfiniteSource -> Discard; Script(wait 20ms, print "stopped", write stop)' 2>&1)"
check "-j out of range" "1" "$("$B/mboxsh" -j 99 -e 'Idle' >/dev/null 2>&1; echo $?)"
"$B/mboxsh" --doc-elements | grep -q '^## Counter'; check "--doc-elements" 0 $?
# Ctrl-C once the demo runs (its first live counters are printed), not at a
# fixed time: under load, start-up can take longer than the signal's delay
"$B/mboxsh" --demo --live -h out.count -h fw.drops >"$T/live.out" 2>"$T/live.err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "Counter" "$T/live.err" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
kill -INT $pid
wait $pid; st=$?
out=$(cat "$T/live.out")
set -- $out
check "demo stops cleanly on Ctrl-C" 0 "$st"
[ "${2:-0}" -gt 0 ] && [ "${4:-0}" -gt 0 ]; check "demo forwards and filters ($out)" 0 $?
grep -q "fw .*IPFilter" "$T/live.err" || grep -q "in  .*Counter .*count" "$T/live.err"; check "live counters printed" 0 $?
if [ -f "$SRC/docs/elements.md" ]; then
	"$B/mboxsh" --doc-elements | cmp -s - "$SRC/docs/elements.md"; check "docs/elements.md is up to date (make docs)" 0 $?
fi
# Control socket (-u): a client polls c.count until the source is done (it
# counts 5), then writes `stop`: the DriverManager's second stop event ends
# the run.  Everything is bounded by timeouts.
cat >"$T/ctl.py" <<'EOF'
import os, socket, sys, time
path, out = sys.argv[1], []
for _ in range(500):
    if os.path.exists(path):
        break
    time.sleep(0.01)
out.append(oct(os.stat(path).st_mode & 0o777))
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(path)
    return s, s.makefile("rb")
def line(f):
    return f.readline().decode().rstrip("\r\n")
s, f = conn()
greeting = line(f)
for _ in range(200):
    s.sendall(b"READ c.count\n")
    status, data = line(f), line(f)
    value = f.read(int(data.split()[1])).decode()
    if value == "5":
        break
    time.sleep(0.01)
s.sendall(b"QUIT\n")
out += [greeting, status, data, value, line(f)]
s, f = conn()
line(f)
s.sendall(b"WRITE stop\n")
out.append(line(f))
print("|".join(out))
EOF
timeout 10 "$B/mboxsh" --no-live -u "$T/ctl" -h c.count \
	-e 'InfiniteSource(LIMIT 5, STOP true) -> c :: Counter -> Discard; DriverManager(wait_stop, wait_stop)' \
	>"$T/ctl.out" 2>&1 &
pid=$!
got=$(timeout 10 python3 "$T/ctl.py" "$T/ctl" 2>&1)
wait $pid
st=$?
check "-u: READ c.count through the control socket (mode 0600)" \
	"0o600|Click::ControlSocket/1.3|200 Read handler 'c.count' OK|DATA 1|5|200 Goodbye!|200 Write handler 'stop' OK" "$got"
check "-u: WRITE stop ends the run, the socket file is removed" "0 5 gone" \
	"$st $(cat "$T/ctl.out") $([ -e "$T/ctl" ] && echo left || echo gone)"
# load FILE into an empty runtime, save it, load it again: the same graph
printf 'a :: Idle -> c :: Counter -> Discard;\n' >"$T/l.click"
out=$(printf 'load %s\nsave %s\nload %s\nshow graph\n' "$T/l.click" "$T/saved.click" "$T/saved.click" |
	"$B/mboxsh" -i 2>&1)
check "load, save, load" "saved $T/saved.click
a [0] -> [0] c
c [0] -> [0] Discard@3" "$out"
# --json on every show/read command: each answer is one line of valid JSON
out=$(printf 'show elements --json\nshow graph --json\nshow handlers c --json\nread c.count --json\nstats --json\nthreads --json\nplacements --json\n' |
	"$B/mboxsh" -e 'Idle -> c :: Counter -> Discard;' -i 2>&1 |
	python3 -c 'import json, sys; v = [json.loads(l) for l in sys.stdin]; print(len(v), v[1][1]["to"], v[2][0]["name"], v[5][0]["worker"])')
check "--json answers" "7 Discard@3 count 0" "$out"
# placements: migrate through the shell, piped (opencl only when PoCL answers)
out=$(printf 'migrate f cpu\nread f.placement\nmigrate f gpu\nmigrate c opencl\n' |
	"$B/mboxsh" -e 'Idle -> f :: FIBLookup(10.0.0.0/8 0) -> c :: Counter -> Discard;' -i 2>&1 | sed 's/ ([0-9.]* ms)//')
check "migrate and placement errors" "f: now on cpu
cpu
error: unknown placement 'gpu' (cpu, opencl or cuda)
error: c (Counter) runs on the cpu only: it has no kernel to move" "$out"
out=$(printf 'placements f\n' | "$B/mboxsh" -e 'Idle -> f :: FIBLookup(10.0.0.0/8 0) -> Discard;' -i 2>&1 | head -2)
check "placements" "f (FIBLookup)
  cpu* available not run yet" "$out"
echo "cli: $((27 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
