#!/usr/bin/env python3
"""The shared server fixture of the binding tests (stdlib only).

Starts a real `fieldline demo` server (embedded SQLite, on 127.0.0.1:0) in a fresh data dir, adds
one reader per suite with three cycle reads and one turn-off of their own and one reader with a 500-order route (users
through the `fieldline user add` CLI, orders through the office API), puts a switchable link (a
TCP forwarder) between the devices and the server, and runs each suite as a subprocess with what
it needs in environment variables:

  FIELDLINE_URL            the server as devices see it (through the link)
  FIELDLINE_LINK_CONTROL   POST /down cuts the link (connections refused), POST /up restores it
  FIELDLINE_OFFICE_URL     the server directly, for the office API
  FIELDLINE_OFFICE_USER    an office user (dispatcher); FIELDLINE_PASSWORD is every password
  FIELDLINE_READER         this suite's reader; FIELDLINE_ORDERS their three order ids (comma)
  FIELDLINE_GOOD_READING   a value inside the limits of the first order's register 1
  FIELDLINE_TURN_OFF       this suite's reader's turn-off order; FIELDLINE_TURN_OFF_READINGS a
                           value inside the limits of each of its registers, in order (comma)
  FIELDLINE_ROUTE_READER   a reader with FIELDLINE_ROUTE_SIZE orders on one route
  FIELDLINE_WORK_DIR       an empty directory for the suite's device stores

Exits non-zero when a suite fails or the fixture cannot set up.
"""

import argparse
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PASSWORD = "demo"
OFFICE_USER = "dispatcher"
ROUTE_READER = "route_reader"
ROUTE_SIZE = 500
ORDERS_PER_SUITE = 3
STARTUP_TIMEOUT_S = 120
SUITE_TIMEOUT_S = 600


def log(message):
    print(f"fixture: {message}", file=sys.stderr, flush=True)


class Office:
    """The office JSON API as the dispatcher."""

    def __init__(self, url):
        self.url = url
        self.token = None
        self.token = self.call("POST", "/api/v1/auth/login",
                               {"username": OFFICE_USER, "password": PASSWORD})["access_token"]

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("content-type", "application/json")
        if self.token:
            request.add_header("authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"{method} {path}: {err.code} {err.read().decode(errors='replace')}")

    def premises(self, count):
        """`count` premise ids, in the server's order."""
        ids = []
        while len(ids) < count:
            page = self.call("GET", f"/api/v1/premises?limit=1000&offset={len(ids)}")
            if not page["items"]:
                raise RuntimeError(f"the demo has only {len(ids)} premises")
            ids.extend(item["id"] for item in page["items"])
        return ids[:count]

    def create_order(self, premise_id, assignee, route=None, sequence=None, order_type="cycle_read"):
        body = {"order_type": order_type, "premise_id": premise_id, "assignee": assignee}
        if route is not None:
            body["route"] = route
            body["sequence"] = sequence
        return self.call("POST", "/api/v1/orders", body)


class Link:
    """A TCP forwarder that can be cut: while down, its port refuses connections and open
    connections are closed, as a phone in a basement."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.lock = threading.Lock()
        self.listener = None
        self.port = None
        self.connections = set()
        self.up()

    def up(self):
        with self.lock:
            if self.listener is not None:
                return
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind(("127.0.0.1", self.port or 0))
            listener.listen(64)
            self.port = listener.getsockname()[1]
            self.listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def down(self):
        with self.lock:
            listener, self.listener = self.listener, None
            connections, self.connections = self.connections, set()
        if listener is not None:
            try:
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        for conn in connections:
            # shutdown first: close() alone leaves the connection up while a pipe thread is
            # blocked reading it, and a quiet one (the poke channel) would never notice.
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                conn.close()
            except OSError:
                pass

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.listener is not listener:
                    client.close()
                    server.close()
                    return
                self.connections.update((client, server))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source, sink):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def control_server(link):
    """An HTTP endpoint that lets a suite cut and restore the link."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            if self.path == "/down":
                link.down()
            elif self.path == "/up":
                link.up()
            else:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def start_server(binary, data_dir, log_path):
    """`fieldline demo` on a free port; returns the process and its URL once it is ready."""
    log_file = open(log_path, "w")
    process = subprocess.Popen(
        [binary, "--data-dir", data_dir, "demo", "--listen", "127.0.0.1:0"],
        stdout=subprocess.PIPE, stderr=log_file, text=True)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    url = None
    for line in process.stdout:
        if "listening on http://" in line:
            url = line[line.index("http://"):].strip()
            break
        if time.monotonic() > deadline:
            break
    if url is None:
        process.kill()
        raise RuntimeError(f"the server did not start; see {log_path}")
    threading.Thread(target=lambda: process.stdout.read(), daemon=True).start()
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/readyz", timeout=5) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the server never became ready; see {log_path}")


def add_reader(binary, data_dir, username):
    subprocess.run([binary, "--data-dir", data_dir, "user", "add", username, "--role", "reader",
                    "--password-stdin"], input=PASSWORD + "\n", text=True, check=True,
                   stdout=subprocess.DEVNULL)


def good_reading(order, index=0):
    register = order["office"]["meter"]["registers"][index]
    value = int((register["low_limit"] + register["high_limit"]) / 2)
    return str(value).zfill(register["dials_left"])


def good_readings(order):
    registers = order["office"]["meter"]["registers"]
    return ",".join(good_reading(order, i) for i in range(len(registers)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the fieldline binary")
    parser.add_argument("--work", required=True, help="a scratch directory (emptied)")
    parser.add_argument("--suite", action="append", required=True, metavar="NAME=COMMAND")
    args = parser.parse_args()

    suites = []
    for spec in args.suite:
        name, _, command = spec.partition("=")
        suites.append((name, shlex.split(command)))

    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    data_dir = os.path.join(work, "server")
    binary = os.path.abspath(args.server)
    process, url = start_server(binary, data_dir, os.path.join(work, "server.log"))
    try:
        log(f"server {url} (log {work}/server.log)")
        readers = [f"{name}_reader" for name, _ in suites]
        for username in readers + [ROUTE_READER]:
            add_reader(binary, data_dir, username)
        office = Office(url)
        premises = office.premises(ROUTE_SIZE + (ORDERS_PER_SUITE + 1) * len(suites))
        route = office.call("GET", "/api/v1/routes")[0]["code"]

        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(
                lambda i: office.create_order(premises[i], ROUTE_READER, route, i + 1),
                range(ROUTE_SIZE)))
        log(f"{ROUTE_SIZE} orders on route {route} for {ROUTE_READER} "
            f"in {time.monotonic() - started:.1f}s")

        link = Link(int(url.rsplit(":", 1)[1]))
        control = control_server(link)
        failed = []
        for index, (name, command) in enumerate(suites):
            first = ROUTE_SIZE + index * (ORDERS_PER_SUITE + 1)
            orders = [office.create_order(premises[first + k], readers[index])
                      for k in range(ORDERS_PER_SUITE)]
            turn_off = office.create_order(premises[first + ORDERS_PER_SUITE], readers[index],
                                          order_type="turn_off")
            suite_dir = os.path.join(work, name)
            os.makedirs(suite_dir)
            env = dict(os.environ,
                       FIELDLINE_URL=f"http://127.0.0.1:{link.port}",
                       FIELDLINE_LINK_CONTROL=f"http://127.0.0.1:{control.server_address[1]}",
                       FIELDLINE_OFFICE_URL=url,
                       FIELDLINE_OFFICE_USER=OFFICE_USER,
                       FIELDLINE_PASSWORD=PASSWORD,
                       FIELDLINE_READER=readers[index],
                       FIELDLINE_ORDERS=",".join(o["id"] for o in orders),
                       FIELDLINE_GOOD_READING=good_reading(orders[0]),
                       FIELDLINE_TURN_OFF=turn_off["id"],
                       FIELDLINE_TURN_OFF_READINGS=good_readings(turn_off),
                       FIELDLINE_ROUTE_READER=ROUTE_READER,
                       FIELDLINE_ROUTE_SIZE=str(ROUTE_SIZE),
                       FIELDLINE_WORK_DIR=suite_dir)
            link.up()
            log(f"suite {name}: {shlex.join(command)}")
            try:
                if subprocess.run(command, env=env, timeout=SUITE_TIMEOUT_S).returncode != 0:
                    failed.append(name)
            except subprocess.TimeoutExpired:
                log(f"suite {name} did not finish in {SUITE_TIMEOUT_S}s")
                failed.append(name)
        if failed:
            log(f"FAILED: {', '.join(failed)} (server log {work}/server.log)")
            return 1
        log(f"passed: {', '.join(name for name, _ in suites)}")
        return 0
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    sys.exit(main())
