#!/usr/bin/env python3
"""Measure a terminal LLM chat client against mockllm.py inside tmux (stdlib only).

For each repeat it:
  * starts a fresh HOME (HOME, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME,
    XDG_STATE_HOME point into a new temp dir) and runs --setup there;
  * launches --cmd in a detached tmux session of fixed size on a private tmux
    socket, and polls the visible pane (capture-pane, every --poll seconds) until
    --ready appears  -> startup_s;
  * types --prompt with send-keys, presses --submit, and polls until the sentinel
    ZZENDZZ is visible -> total_s; the mock's last-byte time gives lag_s
    (seen - last byte), ZZBEGINZZ gives first_visible_s (seen - first token sent);
  * reads utime+stime (+cutime/cstime) of the client's process tree from /proc
    at submit, at ZZENDZZ seen, and --settle seconds later -> cpu_reply_s,
    cpu_settle_s; peak RSS = sum of VmHWM of the tree -> rss_peak_mb.
Medians (and min/max) over the repeats are printed and written to --json.

Placeholders in --cmd/--setup/--env values: {port} {base} {home} {here} {python}
  {base} = http://127.0.0.1:PORT   {here} = this directory   {python} = sys.executable

Example:
  python3 measure.py --name plain --cmd '{python} {here}/baselines/plain_stream.py {base}' \
      --ready 'READY>' --tokens 2000 --rate 0 --markdown --repeat 5
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SENT_END = "ZZENDZZ"
SENT_BEGIN = "ZZBEGINZZ"
CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- /proc helpers
def _stat(pid: int):
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            data = f.read().decode(errors="replace")
    except OSError:
        return None
    rp = data.rfind(")")
    fields = data[rp + 2:].split()
    # fields[0] = state (field 3); ppid = field 4 -> idx 1; utime=14 -> idx 11
    return {
        "ppid": int(fields[1]),
        "utime": int(fields[11]), "stime": int(fields[12]),
        "cutime": int(fields[13]), "cstime": int(fields[14]),
    }


def proc_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = _stat(int(name))
        if st:
            children.setdefault(st["ppid"], []).append(int(name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        if _stat(p) is None:
            continue
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def tree_cpu(pids: list[int]) -> float:
    tot = 0
    for p in pids:
        st = _stat(p)
        if st:
            tot += st["utime"] + st["stime"] + st["cutime"] + st["cstime"]
    return tot / CLK


def _status_kb(pid: int, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_mem_mb(pids: list[int], key: str) -> float:
    return sum(_status_kb(p, key) for p in pids) / 1024.0


# ---------------------------------------------------------------- tmux
class Tmux:
    """tmux on a private socket; capture via a control-mode client (no fork per poll)."""

    def __init__(self, sock: str, width: int, height: int, use_control: bool = True):
        self.sock = sock
        self.width, self.height = width, height
        self.use_control = use_control
        self.ctl = None
        self.conf = os.path.join(tempfile.gettempdir(), f"{sock}.conf")
        with open(self.conf, "w") as f:
            f.write("set -g default-terminal tmux-256color\n"
                    "set -g remain-on-exit on\n"
                    "set -g history-limit 2000\n"
                    "set -g status off\n"
                    "set -g default-shell /bin/bash\n"
                    "set -sg escape-time 0\n")

    def cmd(self, *args, check=True, capture=True) -> str:
        r = subprocess.run(["tmux", "-L", self.sock, "-f", self.conf, *args],
                           capture_output=capture, text=True)
        if check and r.returncode != 0:
            raise RuntimeError(f"tmux {args}: {r.stderr.strip()}")
        return r.stdout if capture else ""

    def new_session(self, name: str, launcher: str):
        self.cmd("new-session", "-d", "-s", name, "-x", str(self.width), "-y", str(self.height),
                 launcher)
        self.cmd("set-option", "-t", name, "status", "off")
        # pin the size (global window-size manual crashes tmux 3.3a on new-session)
        self.cmd("set-option", "-w", "-t", name, "window-size", "manual")
        if self.use_control:
            self._attach(name)

    def _attach(self, name: str):
        self.ctl = subprocess.Popen(["tmux", "-L", self.sock, "-f", self.conf, "-C", "attach", "-t", name],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0)
        self._ctl_buf = b""
        self._ctl_cmd("refresh-client -f no-output")

    def _readline(self) -> bytes:
        while b"\n" not in self._ctl_buf:
            chunk = os.read(self.ctl.stdout.fileno(), 65536)
            if not chunk:
                raise RuntimeError("tmux control client closed")
            self._ctl_buf += chunk
        line, self._ctl_buf = self._ctl_buf.split(b"\n", 1)
        return line

    def _ctl_cmd(self, command: str) -> str:
        self.ctl.stdin.write(command.encode() + b"\n")
        lines, inside = [], False
        while True:
            line = self._readline()
            if not inside:
                if line.startswith(b"%begin ") and line.endswith(b" 1"):
                    inside = True
                continue
            if (line.startswith(b"%end ") or line.startswith(b"%error ")) and line.endswith(b" 1"):
                return b"\n".join(lines).decode("utf-8", errors="replace")
            lines.append(line)

    def capture(self, name: str) -> str:
        if self.ctl is not None:
            return self._ctl_cmd(f"capture-pane -p -t {name}")
        return self.cmd("capture-pane", "-p", "-t", name, check=False)

    def send_keys(self, name: str, *keys: str, literal=False):
        args = ["send-keys", "-t", name] + (["-l"] if literal else []) + list(keys)
        self.cmd(*args)

    def server_pid(self) -> int:
        return int(self.cmd("display", "-p", "#{pid}").strip())

    def pane_pid(self, name: str) -> int:
        return int(self.cmd("display", "-p", "-t", name, "#{pane_pid}").strip())

    def detach(self):
        if self.ctl is not None:
            try:
                self.ctl.stdin.close()
            except OSError:
                pass
            try:
                self.ctl.wait(timeout=2)
            except subprocess.TimeoutExpired:
                self.ctl.kill()
                self.ctl.wait()
            self.ctl = None

    def kill_session(self, name: str):
        self.detach()
        r = subprocess.run(["tmux", "-L", self.sock, "-f", self.conf, "kill-session", "-t", name],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"warning: tmux kill-session {name}: {r.stderr.strip()}", file=sys.stderr)

    def kill_server(self):
        self.detach()
        r = subprocess.run(["tmux", "-L", self.sock, "-f", self.conf, "kill-server"],
                           capture_output=True, text=True)
        if r.returncode != 0 and "no server" not in r.stderr:
            print(f"warning: tmux kill-server: {r.stderr.strip()}", file=sys.stderr)
        sock_path = os.path.join(os.environ.get("TMUX_TMPDIR", "/tmp"), f"tmux-{os.getuid()}", self.sock)
        if os.path.exists(sock_path):
            try:
                os.unlink(sock_path)
            except OSError:
                pass
        try:
            os.unlink(self.conf)
        except OSError:
            pass


# ---------------------------------------------------------------- mock server
def free_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class MockServer:
    def __init__(self, args, logfile: str):
        self.port = args.port or free_port()
        self.log = logfile
        cmd = [sys.executable, os.path.join(HERE, "mockllm.py"), "--port", str(self.port),
               "--tokens", str(args.tokens), "--rate", str(args.rate), "--ttft", str(args.ttft),
               "--log", logfile]
        if args.markdown:
            cmd.append("--markdown")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        line = self.proc.stdout.readline()
        if "listening" not in line:
            raise RuntimeError("mock failed: " + line)

    def records(self) -> list[dict]:
        out = []
        try:
            with open(self.log) as f:
                for line in f:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass
        except OSError:
            pass
        return out

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=3)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# ---------------------------------------------------------------- one run
def kill_tree(pids: list[int]):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = []
        for p in pids:
            try:
                os.kill(p, sig)
                alive.append(p)
            except ProcessLookupError:
                pass
        if not alive:
            return
        deadline = time.time() + 2
        while time.time() < deadline and any(_stat(p) for p in alive):
            time.sleep(0.05)


def wait_for(tmux: Tmux, sess: str, needle: str, timeout: float, poll: float, also: str | None = None):
    """Poll the pane until `needle` is visible. Returns (t_seen or None, screen, t_also)."""
    t_end = time.time() + timeout
    t_also = None
    screen = ""
    while True:
        screen = tmux.capture(sess)
        now = time.time()
        if also and t_also is None and also in screen:
            t_also = now
        if needle in screen:
            return now, screen, t_also
        if now > t_end:
            return None, screen, t_also
        time.sleep(poll)


def _stream_record(mock, t_send):
    recs = [r for r in mock.records()
            if r.get("stream") and r.get("t_last_byte") and r["t_request"] >= t_send - 0.05]
    return recs[0] if recs else None


def _cpu_at(samples, t):
    v = samples[0][1]
    for ts, c in samples:
        if ts > t:
            break
        v = c
    return v


def _quiet_since(samples, t_from, window, max_cpu):
    """First sample time >= t_from after which the tree used <= max_cpu CPU-seconds during
    `window` seconds (the client went idle), or None if no such complete window yet."""
    j = 0
    for i, (ti, ci) in enumerate(samples):
        if ti < t_from:
            continue
        j = max(j, i)
        while j < len(samples) and samples[j][0] < ti + window:
            j += 1
        if j >= len(samples):
            return None
        if samples[j][1] - ci <= max_cpu:
            return ti
    return None


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


def fill(s: str, ctx: dict) -> str:
    for k, v in ctx.items():
        s = s.replace("{" + k + "}", str(v))
    return s


def one_run(args, mock: MockServer, tmux: Tmux, idx: int, outdir: str) -> dict:
    home = tempfile.mkdtemp(prefix=f"tuibench-{args.name}-")
    ctx = {"port": mock.port, "base": f"http://127.0.0.1:{mock.port}", "home": home,
           "here": HERE, "python": sys.executable}
    env = {
        "HOME": home,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_STATE_HOME": os.path.join(home, ".local", "state"),
        "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
        "COLORTERM": "truecolor",
        "MOCK_PORT": str(mock.port),
        "MOCK_BASE": ctx["base"],
    }
    if args.hermetic:
        # anything that tries to leave the machine fails fast (connection refused)
        env.update({"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
                    "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
                    "ALL_PROXY": "http://127.0.0.1:9",
                    "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"})
    for kv in args.env:
        k, _, v = kv.partition("=")
        env[k] = fill(v, ctx)
    for d in (env["XDG_CONFIG_HOME"], env["XDG_DATA_HOME"], env["XDG_CACHE_HOME"], env["XDG_STATE_HOME"]):
        os.makedirs(d, exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TMUX")}
    full_env.update(env)
    res: dict = {"run": idx}
    if args.setup:
        r = subprocess.run(["bash", "-c", fill(args.setup, ctx)], env=full_env, cwd=home,
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"setup failed: {r.stdout}\n{r.stderr}")
    launcher = os.path.join(home, "launch.sh")
    with open(launcher, "w") as f:
        f.write("#!/bin/bash\n")
        for k, v in env.items():
            f.write(f"export {k}={shlex.quote(v)}\n")
        f.write("unset TMUX_PANE\n")
        f.write(f"cd {shlex.quote(home)}\n")
        if args.count_bytes:  # wait until pipe-pane is attached, so every byte is counted
            go = shlex.quote(os.path.join(home, ".go"))
            f.write(f"while [ ! -e {go} ]; do sleep 0.005; done\n")
        f.write("exec " + fill(args.cmd, ctx) + "\n")
    os.chmod(launcher, 0o755)
    sess = f"{args.name}-{idx}"
    sess = re.sub(r"[^A-Za-z0-9_-]", "_", sess)
    pids: list[int] = []
    try:
        term_log = os.path.join(home, "terminal.bytes")
        if args.count_bytes:
            tmux.new_session(sess, launcher)
            tmux.cmd("pipe-pane", "-o", "-t", sess, f"cat >> {shlex.quote(term_log)}")
            open(os.path.join(home, ".go"), "w").close()
            t_launch = time.time()
        else:
            t_launch = time.time()
            tmux.new_session(sess, launcher)
        root = tmux.pane_pid(sess)
        t_ready, screen, _ = wait_for(tmux, sess, args.ready, args.timeout, args.poll)
        if t_ready is None:
            res["error"] = f"ready string {args.ready!r} not seen in {args.timeout}s"
            with open(os.path.join(outdir, f"{sess}-startup-fail.txt"), "w") as f:
                f.write(screen)
            return res
        res["startup_s"] = t_ready - t_launch
        pids = proc_tree(root)
        res["cpu_startup_s"] = tree_cpu(pids)
        time.sleep(args.idle)  # let startup work finish
        pids = proc_tree(root)
        if args.idle >= 1.0:  # CPU use while idle, over the second half of the idle wait
            c_a = tree_cpu(pids)
            t_a = time.time()
            time.sleep(args.idle / 2)
            res["idle_cpu_pct"] = 100 * (tree_cpu(pids) - c_a) / (time.time() - t_a)
        res["rss_ready_mb"] = tree_mem_mb(pids, "VmRSS")
        for k in args.pre_keys:
            if k.startswith("sleep:"):
                time.sleep(float(k[6:]))
            elif k.startswith("text:"):
                tmux.send_keys(sess, k[5:], literal=True)
            else:
                tmux.send_keys(sess, k)
            time.sleep(0.3)
        if args.ready2:
            t2, screen, _ = wait_for(tmux, sess, args.ready2, args.timeout, args.poll)
            if t2 is None:
                res["error"] = f"ready2 string {args.ready2!r} not seen"
                with open(os.path.join(outdir, f"{sess}-ready2-fail.txt"), "w") as f:
                    f.write(screen)
                return res
            time.sleep(0.5)
        tmux.send_keys(sess, args.prompt, literal=True)
        time.sleep(0.5)
        pids = proc_tree(root)
        tmux_pid = tmux.server_pid()
        tmux_cpu0 = tree_cpu([tmux_pid])
        self_cpu0 = sum(os.times()[:2])
        cpu0 = tree_cpu(pids)
        bytes0 = _size(term_log)
        t_send = time.time()
        for k in args.submit:
            tmux.send_keys(sess, k)
        # ---- reply phase: poll screen + CPU until ZZENDZZ is visible
        samples = [(t_send, cpu0)]
        t_seen = t_begin = t_endkeys = None
        rec = None
        t_stop = t_send + args.timeout
        n = 0
        while True:
            screen = tmux.capture(sess)
            now = time.time()
            n += 1
            if n % 50 == 0:
                pids = sorted(set(pids) | set(proc_tree(root)))
            if n % args.cpu_every == 0:
                samples.append((now, tree_cpu(pids)))
            if t_begin is None and SENT_BEGIN in screen:
                t_begin = now
            if SENT_END in screen:
                t_seen = now
                break
            if rec is None and n % 5 == 0:
                rec = _stream_record(mock, t_send)
            if (args.end_keys and t_endkeys is None and rec is not None
                    and _quiet_since(samples, rec["t_last_byte"], args.quiet, args.quiet_cpu) is not None):
                # client stopped working but the end is not on screen (no auto-follow): scroll
                for k in args.end_keys:
                    tmux.send_keys(sess, k)
                    time.sleep(0.05)
                t_endkeys = time.time()
            if now > t_stop:
                break
            time.sleep(args.poll)
        samples.append((time.time(), tree_cpu(pids)))
        cpu1 = samples[-1][1]
        res["tmux_cpu_reply_s"] = tree_cpu([tmux_pid]) - tmux_cpu0
        if args.count_bytes:
            time.sleep(0.05)  # let the pipe drain
            res["term_kb_reply"] = (_size(term_log) - bytes0) / 1024.0
        res["harness_cpu_reply_s"] = sum(os.times()[:2]) - self_cpu0
        if t_seen is None:
            res["error"] = f"{SENT_END} not seen within {args.timeout}s"
            with open(os.path.join(outdir, f"{sess}-reply-fail.txt"), "w") as f:
                f.write(screen)
            return res
        with open(os.path.join(outdir, f"{sess}-final.txt"), "w") as f:
            f.write(screen)
        # ---- settle: keep sampling CPU (for cpu_settle_s and the busy-until estimate)
        t_settle_end = time.time() + args.settle
        while time.time() < t_settle_end:
            time.sleep(args.poll * args.cpu_every)
            samples.append((time.time(), tree_cpu(pids)))
        pids = sorted(set(pids) | set(proc_tree(root)))
        cpu2 = tree_cpu(pids)
        # CPU use in the last half of the settle window (after the reply is done)
        half = [x for x in samples if x[0] >= t_settle_end - args.settle / 2]
        if len(half) >= 2 and half[-1][0] > half[0][0]:
            res["post_cpu_pct"] = 100 * (half[-1][1] - half[0][1]) / (half[-1][0] - half[0][0])
        res["rss_peak_mb"] = tree_mem_mb(pids, "VmHWM")
        res["rss_end_mb"] = tree_mem_mb(pids, "VmRSS")
        res["nprocs"] = len([p for p in pids if _stat(p)])
        # server timings
        for _ in range(20):
            rec = _stream_record(mock, t_send)
            if rec:
                break
            time.sleep(0.05)
        recs = [r for r in mock.records() if r.get("stream") and r["t_request"] >= t_send - 0.05]
        res["total_s"] = t_seen - t_send
        res["cpu_reply_s"] = cpu1 - cpu0
        res["cpu_settle_s"] = cpu2 - cpu0
        res["n_stream_requests"] = len(recs)
        if t_endkeys is not None:
            res["end_keys_sent"] = True
        if rec:
            res["api"] = rec.get("api")
            res["server_request_s"] = rec["t_request"] - t_send
            res["server_stream_s"] = rec["t_last_byte"] - rec["t_first_token"]
            if t_endkeys is None:
                res["lag_s"] = t_seen - rec["t_last_byte"]
            else:
                res["lag_after_keys_s"] = t_seen - rec["t_last_byte"]
            if t_begin is not None:
                res["first_visible_s"] = t_begin - rec["t_first_token"]
            tq = _quiet_since(samples, rec["t_last_byte"], args.quiet, args.quiet_cpu)
            if tq is not None:
                res["busy_after_last_byte_s"] = max(0.0, tq - rec["t_last_byte"])
                res["cpu_to_idle_s"] = _cpu_at(samples, tq) - cpu0
        other = [r for r in mock.records() if r["t_request"] >= t_launch and not r.get("stream")]
        res["other_requests"] = sorted({f'{r.get("method", "POST")} {r.get("path")}' for r in other})
        return res
    finally:
        try:
            root_pids = proc_tree(tmux.pane_pid(sess))
        except Exception:
            root_pids = []
        kill_tree(sorted(set(pids) | set(root_pids)))
        tmux.kill_session(sess)
        if not args.keep_home:
            shutil.rmtree(home, ignore_errors=True)


METRICS = ["startup_s", "cpu_startup_s", "rss_ready_mb", "server_request_s", "first_visible_s", "total_s",
           "server_stream_s", "lag_s", "lag_after_keys_s", "busy_after_last_byte_s", "cpu_reply_s",
           "cpu_to_idle_s", "cpu_settle_s", "rss_peak_mb", "tmux_cpu_reply_s", "term_kb_reply", "harness_cpu_reply_s",
           "idle_cpu_pct", "post_cpu_pct"]


def summarize(runs: list[dict]) -> dict:
    out = {}
    for m in METRICS:
        vals = [r[m] for r in runs if m in r]
        if vals:
            out[m] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--name", required=True, help="label (also tmux session prefix)")
    p.add_argument("--cmd", required=True, help="client command (exec'd in the tmux pane)")
    p.add_argument("--ready", required=True, help="string on screen meaning 'ready for input'")
    p.add_argument("--ready2", default=None, help="string to wait for after --pre-keys")
    p.add_argument("--setup", default=None, help="bash snippet run in the fresh HOME before launch")
    p.add_argument("--env", action="append", default=[], help="extra KEY=VALUE for the client")
    p.add_argument("--pre-keys", action="append", default=[],
                   help="tmux keys sent after ready (repeatable; 'text:...' literal, 'sleep:S')")
    p.add_argument("--prompt", default="Write the benchmark reply please")
    p.add_argument("--submit", action="append", default=None, help="key(s) that send the prompt (default Enter)")
    p.add_argument("--tokens", type=int, default=2000)
    p.add_argument("--rate", type=float, default=0.0)
    p.add_argument("--ttft", type=float, default=0.0)
    p.add_argument("--markdown", action="store_true")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1, help="unreported runs first (pyc compile etc.)")
    p.add_argument("--width", type=int, default=160)
    p.add_argument("--height", type=int, default=48)
    p.add_argument("--poll", type=float, default=0.02)
    p.add_argument("--idle", type=float, default=1.5, help="seconds to wait after ready before typing")
    p.add_argument("--settle", type=float, default=1.0, help="seconds after ZZENDZZ for cpu_settle_s")
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--end-keys", action="append", default=[],
                   help="keys sent once the stream ended and the client went idle but ZZENDZZ is not "
                        "visible (client lost auto-follow), e.g. --end-keys BTab --end-keys End")
    p.add_argument("--cpu-every", type=int, default=5,
                   help="sample /proc CPU every N polls (default 5 = 10 Hz; reading /proc/PID/stat at 50 Hz "
                        "measurably slowed a client on a 2-core VM)")
    p.add_argument("--quiet", type=float, default=0.5, help="idle window (s) for busy_after_last_byte_s")
    p.add_argument("--quiet-cpu", type=float, default=0.03, help="max CPU-s in the idle window")
    p.add_argument("--no-hermetic", dest="hermetic", action="store_false",
                   help="do not point HTTP(S)_PROXY at a dead loopback port")
    p.add_argument("--subprocess-capture", action="store_true",
                   help="fork `tmux capture-pane` per poll instead of a control-mode client")
    p.add_argument("--keep-home", action="store_true")
    p.add_argument("--count-bytes", action="store_true",
                   help="count the bytes the client writes to its terminal (tmux pipe-pane) -> term_kb_reply")
    p.add_argument("--outdir", default=None, help="where screens/json go (default /tmp/tuibench-out/NAME)")
    p.add_argument("--json", default=None, help="write runs+summary JSON here")
    args = p.parse_args(argv)
    if args.submit is None:
        args.submit = ["Enter"]
    outdir = args.outdir or os.path.join("/tmp/tuibench-out", args.name)
    os.makedirs(outdir, exist_ok=True)
    logfile = os.path.join(outdir, "mock.jsonl")
    for fn in os.listdir(outdir):  # stale screens / log from an earlier invocation
        if fn == "mock.jsonl" or (fn.endswith(".txt") and fn.startswith(re.sub(r"[^A-Za-z0-9_-]", "_", args.name) + "-")):
            os.unlink(os.path.join(outdir, fn))
    mock = MockServer(args, logfile)
    tmux = Tmux(f"tuibench-{os.getpid()}", args.width, args.height, use_control=not args.subprocess_capture)
    runs = []
    try:
        for i in range(args.warmup + args.repeat):
            r = one_run(args, mock, tmux, i, outdir)
            r["warmup"] = i < args.warmup
            runs.append(r)
            brief = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}
            print(json.dumps(brief), file=sys.stderr, flush=True)
    finally:
        tmux.kill_server()
        mock.stop()
    measured = [r for r in runs if not r["warmup"] and "error" not in r]
    summary = summarize(measured)
    result = {"name": args.name, "cmd": args.cmd, "tokens": args.tokens, "rate": args.rate,
              "markdown": args.markdown, "size": f"{args.width}x{args.height}",
              "errors": [r["error"] for r in runs if "error" in r], "runs": runs, "summary": summary}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print(f"== {args.name}  tokens={args.tokens} rate={args.rate} markdown={args.markdown} "
          f"n={len(measured)} errors={len(result['errors'])}")
    for m, s in summary.items():
        print(f"  {m:16s} median {s['median']:8.3f}   min {s['min']:8.3f}   max {s['max']:8.3f}")
    return 0 if measured else 1


if __name__ == "__main__":
    sys.exit(main())
