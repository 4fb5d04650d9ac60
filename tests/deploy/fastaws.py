"""Test-only speed-up for the AWS CLI: a fork server.

`aws` (Debian's AWS CLI v2, Python) spends most of each call importing itself: about 1 s of each,
and a deploy makes about 20 calls. The server runs under the CLI's own interpreter (/usr/bin/python3). The server imports the CLI once; each call forks it, the child takes the
caller's stdin/stdout/stderr (passed over a UNIX socket), environment, working directory and
arguments, runs the unchanged CLI (awscli.clidriver.main) and sends back its exit status.
The shim `aws` (written by the test fixture into a folder put first on PATH) is the client.
The deploy scripts do not know about it: they run `aws` as always.
"""
import json
import os
import signal
import socket
import struct
import sys


def serve(path):
    before = dict(os.environ)
    import awscli.clidriver  # the expensive part, done once
    driver = awscli.clidriver.create_clidriver()  # loads the plugins and customizations
    # and the service models the deploy scripts use (each child inherits them, loaded)
    for service in ("sts", "lambda", "elbv2", "ec2", "route53", "acm", "ssm", "s3", "cloudformation"):
        driver.session.get_service_model(service)
    # What importing the CLI put into the environment (AWS_DATA_PATH): the children need it too.
    added = {k: v for k, v in os.environ.items() if before.get(k) != v}
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(64)
    print("ready", flush=True)
    while True:
        conn, _ = srv.accept()
        if os.fork() == 0:  # single-threaded parent: forking is safe
            srv.close()
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            handle(conn, driver, added)
        conn.close()


def handle(conn, driver, added):
    rc = 255
    try:
        msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
        req = json.loads(msg)
        for i, fd in enumerate(fds):
            os.dup2(fd, i)
            os.close(fd)
        sys.stdin = open(0, closefd=False)
        sys.stdout = open(1, "w", closefd=False)
        sys.stderr = open(2, "w", closefd=False)
        os.environ.clear()
        os.environ.update(req["env"])
        os.environ.update(added)
        os.chdir(req["cwd"])
        sys.argv = ["aws"] + req["argv"]
        rc = driver.main(req["argv"])
    except SystemExit as e:
        rc = e.code if isinstance(e.code, int) else 1
    except BaseException:
        import traceback
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        conn.sendall(struct.pack("!i", rc or 0))
        os._exit(0)


def client(path, argv):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    req = json.dumps({"argv": argv, "env": dict(os.environ), "cwd": os.getcwd()}).encode()
    socket.send_fds(s, [req], [0, 1, 2])
    data = b""
    while len(data) < 4:
        chunk = s.recv(4 - len(data))
        if not chunk:
            sys.exit(255)
        data += chunk
    sys.exit(struct.unpack("!i", data)[0])


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        client(sys.argv[2], sys.argv[3:])
