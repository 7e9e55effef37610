#!/usr/bin/env python3
"""Drive the interactive mboxsh shell through a pseudo-terminal, as a person
would: the prompt, Tab completion, history (up arrow), an error line, a
command that changes the graph live, Ctrl-D; multi-line Lua and Click
statements with the continuation prompt; Ctrl-C at the prompt and during a
Lua loop; `top` ended by a key and by Ctrl-C; and `--connect` to a second
mboxsh started here, through its control socket (commands, completion,
errors, top).

Usage: pty_session.py MBOXSH   (exit 0 when every check passes)
"""
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

MBOXSH = sys.argv[1]
CONFIG = "src :: InfiniteSource(LIMIT 5) -> c :: Counter -> Discard;"
BUSY = "src :: InfiniteSource(LIMIT -1, STOP false) -> c :: Counter -> q :: Queue(64) -> Unqueue -> Discard;"


class Session:
    def __init__(self, argv, home):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:
            os.environ["HOME"] = home
            os.environ["TERM"] = "xterm"
            os.execv(MBOXSH, [MBOXSH] + argv)
        self.seen = b""
        self.rest = b""  # read past the last match: the next expect starts there
        self.log = b""   # everything read

    def send(self, data):
        os.write(self.fd, data if isinstance(data, bytes) else data.encode())

    def expect(self, want, timeout=20.0):
        """Read until `want` appears; return what came before and with it.
        The bound is generous: under ASan on a loaded 2-core runner, DPDK's
        start alone took more than 5 s before the first prompt."""
        end = time.time() + timeout
        buf, self.rest = self.rest, b""
        while time.time() < end:
            k = buf.find(want.encode())
            if k >= 0:
                k += len(want.encode())
                self.seen, self.rest = buf[:k], buf[k:]
                return self.seen.decode(errors="replace")
            r, _, _ = select.select([self.fd], [], [], 0.1)
            if r:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                buf += chunk
                self.log += chunk
        raise AssertionError("did not see %r in %r" % (want, buf.decode(errors="replace")))

    def wait_exit(self, timeout=30.0):
        end = time.time() + timeout
        while time.time() < end:
            wpid, st = os.waitpid(self.pid, os.WNOHANG)
            if wpid:
                return st
            try:
                select.select([self.fd], [], [], 0.1)
                os.read(self.fd, 4096)
            except OSError:
                pass
        raise AssertionError("mboxsh did not exit")

    def kill(self):
        try:
            os.kill(self.pid, 9)
            os.waitpid(self.pid, 0)
        except OSError:
            pass


def basic(home, ok):
    s = Session(["-i", "--no-live", "-e", CONFIG], home)
    try:
        s.expect("mboxsh> ")
        time.sleep(0.5)  # let the source send its 5 packets
        # Tab completes a handler name: "read c.cou<TAB>" -> "read c.count"
        s.send("read c.cou\t")
        s.expect("nt")  # libedit redraws only the completed tail
        s.send("\r")
        s.expect("\n5")
        ok("completion")
        # a failing command prints one error line, and the shell goes on
        s.send("read c.nosuch\r")
        s.expect("error: no handler 'c.nosuch'")
        ok("error line")
        # a live change from the prompt
        s.send("swap c Counter\r")
        s.expect("mboxsh> ")
        s.send("read c.class\r")
        s.expect("Counter")
        ok("live swap")
        # history: the up arrow brings back the last command
        s.send("\x1b[A\r")
        s.expect("Counter")
        ok("history")
        # Ctrl-D ends the session and stops the router
        s.send("\x04")
        st = s.wait_exit()
        assert os.WIFEXITED(st), "mboxsh did not exit normally"
        ok("Ctrl-D")
        hist = os.path.join(home, ".mboxsh_history")
        saved = open(hist).read().replace("\\040", " ") if os.path.exists(hist) else ""
        assert "swap c Counter" in saved, "history not saved: %r" % saved  # libedit escapes spaces
        ok("history saved")
    finally:
        s.kill()


def multiline_and_ctrl_c(home, ok):
    s = Session(["-i", "--no-live", "-e", CONFIG], home)
    try:
        s.expect("mboxsh> ")
        # a Lua block over three lines, with the continuation prompt
        s.send("for i = 1, 3 do\r")
        s.expect("...> ")
        s.send("  print('line', i)\r")
        s.expect("...> ")
        s.send("end\r")
        out = s.expect("mboxsh> ")
        assert "line\t1" in out and "line\t3" in out, out
        ok("multi-line Lua")
        s.send("= math.max(1,\r")
        s.expect("...> ")
        s.send("  41) + 1\r")
        s.expect("42")
        ok("multi-line =")
        # Click statements continue while a connection or bracket is open
        s.send("add src2 :: InfiniteSource(LIMIT 3,\r")
        s.expect("...> ")
        s.send("  STOP false) ->\r")
        s.expect("...> ")
        s.send("  c2 :: Counter -> Discard\r")
        s.expect("mboxsh> ")
        time.sleep(0.3)
        s.send("read c2.count\r")
        s.expect("\n3")
        ok("multi-line add")
        # Ctrl-C at the prompt clears the line; the shell stays
        s.send("read c.co")
        s.send("\x03")
        s.expect("^C")
        s.expect("mboxsh> ")
        # the terminal echoes ^C at once; the shell clears its line when the
        # loop handles the signal: type only once it has
        time.sleep(0.3)
        s.send("read c.count\r")
        out = s.expect("\n5")
        assert "c.coread" not in out and "error" not in out, out
        ok("Ctrl-C clears the line")
        # Ctrl-C cancels a statement in progress
        s.send("for i = 1, 2 do\r")
        s.expect("...> ")
        s.send("\x03")
        s.expect("^C")
        s.expect("mboxsh> ")
        s.send("= 7 * 6\r")
        out = s.expect("42")
        ok("Ctrl-C cancels a multi-line block")
        # Ctrl-C interrupts a Lua loop, the runtime is unchanged, the shell goes on
        s.send("lua x = 0 while true do x = x + 1 end\r")
        time.sleep(0.5)
        s.send("\x03")
        s.expect("interrupted")
        s.expect("mboxsh> ")
        s.send("= x > 0\r")
        s.expect("true")
        s.send("read c.class\r")
        s.expect("Counter")
        s.send("show elements\r")
        s.expect("c2 ")
        ok("Ctrl-C interrupts Lua")
        s.send("quit\r")
        st = s.wait_exit()
        assert os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, st
        ok("quit")
    finally:
        s.kill()


def top(home, ok):
    s = Session(["-i", "--no-live", "-e", BUSY], home)
    try:
        s.expect("mboxsh> ")
        s.send("top -d 0.2\r")
        out = s.expect("CYCLES/PKT")
        s.expect("Queue")
        out = s.expect("CYCLES/PKT")  # it refreshes
        assert b"\x1b[2J" in s.log, "top did not clear the screen"
        s.send("x")  # any key ends it
        s.expect("mboxsh> ")
        s.send("profile\r")
        s.expect("profiling is off")  # top turned it off again
        ok("top ends on a key")
        s.send("top -d 0.2\r")
        s.expect("CYCLES/PKT")
        s.send("\x03")
        s.expect("mboxsh> ")
        s.send("read c.class\r")
        s.expect("Counter")
        ok("Ctrl-C ends top")
        s.send("quit\r")
        s.wait_exit()
    finally:
        s.kill()


def connect(home, ok):
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "mb.sock")
    server = subprocess.Popen([MBOXSH, "--no-live", "-u", sock, "-e", BUSY.replace("LIMIT -1", "LIMIT 1000")],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    s = None
    try:
        end = time.time() + 30
        while not os.path.exists(sock) and time.time() < end:
            time.sleep(0.05)
        assert os.path.exists(sock), "the server did not open its socket"
        s = Session(["--connect", sock], home)
        s.expect("mboxsh> ")
        # the server's source may still be sending its 1000 packets
        for _ in range(50):
            s.send("read c.count\r")
            if "\n1000" in s.expect("mboxsh> "):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the server never counted 1000 packets")
        ok("--connect read")
        s.send("read c.nosuch\r")
        s.expect("error: no handler 'c.nosuch'")
        s.send("show graph\r")
        s.expect("c [0] -> [0] q")
        ok("--connect error line")
        s.send("read c.cou\t")
        s.expect("nt")
        s.send("\r")
        s.expect("\n1000")
        ok("--connect completion")
        s.send("lua n = 0\r")
        s.expect("mboxsh> ")
        s.send("for i = 1, 4 do\r")
        s.expect("...> ")
        s.send("n = n + i end\r")
        s.expect("mboxsh> ")
        s.send("= n\r")
        s.expect("\n10")
        ok("--connect multi-line Lua")
        s.send("add c3 :: Counter;\r")
        s.expect("error: ")
        s.send("swap c Counter\r")
        s.expect("mboxsh> ")
        s.send("top -d 0.2\r")
        s.expect("CYCLES/PKT")
        s.send("q")
        s.expect("mboxsh> ")
        ok("--connect top")
        s.send("quit\r")
        st = s.wait_exit()
        assert os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, st
        assert server.poll() is None, "quit on the client stopped the server"
        ok("--connect quit leaves the server running")
        # piped into a client: the remote errors fail its exit status
        r = subprocess.run([MBOXSH, "--connect", sock], input=b"read c.class\nread c.nosuch\n",
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=20)
        assert r.stdout == b"Counter\nerror: no handler 'c.nosuch'\n" and r.returncode == 1, r
        r = subprocess.run([MBOXSH, "--connect", sock + ".none"], input=b"", stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=20)
        assert r.returncode == 1 and b"cannot connect to" in r.stdout, r
        ok("--connect piped, exit status, no server")
    finally:
        if s:
            s.kill()
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    passed = []

    def ok(name):
        passed.append(name)

    for part in (basic, multiline_and_ctrl_c, top, connect):
        home = tempfile.mkdtemp()
        try:
            part(home, ok)
        except AssertionError as e:
            print("FAIL in %s after %s: %s" % (part.__name__, passed[-1] if passed else "-", e))
            print("pty: %d passed, 1 failed" % len(passed))
            return 1
        finally:
            shutil.rmtree(home, ignore_errors=True)
    print("pty: %d passed, 0 failed (%s)" % (len(passed), ", ".join(passed)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
