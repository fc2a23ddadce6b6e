#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Runs a command on a fresh pseudo-terminal, answers its prompts, and
presses Ctrl-C (through the terminal, as a user would) at the prompt number
given.  Prints how the command ended: "signal N" or "exit N".

usage: pty_interrupt.py AT_PROMPT ANSWER -- COMMAND...
"""
import os
import pty
import signal
import sys
import time


def main():
    at = int(sys.argv[1])
    answer = sys.argv[2].encode()
    cmd = sys.argv[sys.argv.index("--") + 1:]
    pid, fd = pty.fork()
    if pid == 0:
        # a shell started in the background hands SIGINT down ignored: the
        # test is of a user at a terminal, where it is not
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.execvp(cmd[0], cmd)
    seen, out = 0, b""
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
        while b"Enter " in out:
            out = out[out.index(b"Enter ") + 6:]
            seen += 1
            time.sleep(0.2)  # let the prompt turn echo off
            if seen == at:
                os.write(fd, b"\x03")
            else:
                os.write(fd, answer + b"\n")
        if seen >= at:
            break
    # never wait forever: a command still running at the deadline is killed
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.time() > deadline:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(0.05)
    if os.WIFSIGNALED(status):
        print("signal %d" % os.WTERMSIG(status))
    else:
        print("exit %d" % os.WEXITSTATUS(status))


main()
