#!/usr/bin/env python3
"""Drive the interactive mboxsh shell through a pseudo-terminal, as a person
would: the prompt, Tab completion, history (up arrow), an error line, a
command that changes the graph live, and Ctrl-D.

Usage: pty_session.py MBOXSH   (exit 0 when every check passes)
"""
import os
import pty
import select
import sys
import tempfile
import time

MBOXSH = sys.argv[1]
CONFIG = "src :: InfiniteSource(LIMIT 5) -> c :: Counter -> Discard;"


def read_until(fd, want, timeout=5.0):
    buf = b""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            if want.encode() in buf:
                return buf.decode(errors="replace")
    raise AssertionError("did not see %r in %r" % (want, buf.decode(errors="replace")))


def main():
    home = tempfile.mkdtemp()
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["HOME"] = home
        os.environ["TERM"] = "xterm"
        os.execv(MBOXSH, [MBOXSH, "-i", "--no-live", "-e", CONFIG])
    checks = 0
    try:
        read_until(fd, "mboxsh> ")
        time.sleep(0.5)  # let the source send its 5 packets
        # Tab completes a handler name: "read c.cou<TAB>" -> "read c.count"
        os.write(fd, b"read c.cou\t")
        read_until(fd, "nt")  # libedit redraws only the completed tail
        os.write(fd, b"\r")
        read_until(fd, "\n5")
        checks += 1
        # a failing command prints one error line, and the shell goes on
        os.write(fd, b"read c.nosuch\r")
        read_until(fd, "error: no handler 'c.nosuch'")
        checks += 1
        # a live change from the prompt
        os.write(fd, b"swap c Counter\r")
        read_until(fd, "mboxsh> ")
        os.write(fd, b"read c.class\r")
        read_until(fd, "Counter")
        checks += 1
        # history: the up arrow brings back the last command
        os.write(fd, b"\x1b[A\r")
        out = read_until(fd, "Counter")
        checks += 1
        # Ctrl-D ends the session and stops the router
        os.write(fd, b"\x04")
        end = time.time() + 10
        status = None
        while time.time() < end:
            wpid, st = os.waitpid(pid, os.WNOHANG)
            if wpid:
                status = st
                break
            try:
                select.select([fd], [], [], 0.1)
                os.read(fd, 4096)
            except OSError:
                pass
        assert status is not None, "mboxsh did not exit on Ctrl-D"
        assert os.WIFEXITED(status), "mboxsh did not exit normally"
        checks += 1
        hist = os.path.join(home, ".mboxsh_history")
        saved = open(hist).read().replace("\\040", " ") if os.path.exists(hist) else ""
        assert "swap c Counter" in saved, "history not saved: %r" % saved  # libedit escapes spaces
        checks += 1
    except AssertionError as e:
        print("FAIL:", e)
        try:
            os.kill(pid, 9)
        except OSError:
            pass
        print("pty: %d passed, 1 failed" % checks)
        return 1
    print("pty: %d passed, 0 failed" % checks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
