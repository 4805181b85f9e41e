"""The generated Python module driven as an app would drive it, against the real server that
bindings/tests/fixture.py started (see its docstring for the environment). stdlib only."""

import json
import os
import threading
import time
import unittest
import urllib.request

import fieldline
from fieldline import (Capture, FieldAction, FieldClient, FieldlineError, OrderStatus, PhotoKind,
                       PhotoRef, PushEvent, ReadMethod, ReadingInput, Step, SyncCause, SyncState,
                       ValvePosition)

WAIT_S = 30


def env(name):
    value = os.environ.get(name)
    if not value:
        raise unittest.SkipTest(f"{name} is not set: run through scripts/test-bindings")
    return value


def wait_for(condition, what):
    """Waits until `condition()` holds, failing after WAIT_S seconds."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def http(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


class Office:
    def __init__(self):
        self.url = env("FIELDLINE_OFFICE_URL")
        self.token = http("POST", self.url + "/api/v1/auth/login",
                          {"username": env("FIELDLINE_OFFICE_USER"),
                           "password": env("FIELDLINE_PASSWORD")})["access_token"]

    def order(self, order_id):
        return http("GET", f"{self.url}/api/v1/orders/{order_id}", token=self.token)

    def note(self, order_id, text):
        http("POST", f"{self.url}/api/v1/orders/{order_id}/notes", {"text": text}, self.token)


def link(state):
    http("POST", env("FIELDLINE_LINK_CONTROL") + "/" + state)


class Recorder(fieldline.OrderObserver):
    def __init__(self):
        self.lock = threading.Lock()
        self.calls = []

    def orders_changed(self, order_ids):
        with self.lock:
            self.calls.append(list(order_ids))

    def seen(self, order_id):
        with self.lock:
            return any(order_id in call for call in self.calls)

    def count(self):
        with self.lock:
            return len(self.calls)


class SyncStates(fieldline.SyncStateObserver):
    def __init__(self):
        self.states = []

    def sync_state_changed(self, state):
        self.states.append(state)


class FixedClock(fieldline.Clock):
    def __init__(self, now_ms):
        self.now = now_ms

    def now_ms(self):
        return self.now


class Here(fieldline.LocationSource):
    def current_fix(self):
        return fieldline.GpsFix(lat=43.02, lon=-108.39, accuracy_m=4.0)


class PushEvents(fieldline.PushObserver):
    def __init__(self):
        self.lock = threading.Lock()
        self.events = []

    def push_event(self, event):
        with self.lock:
            self.events.append(event)

    def count(self, kind, **fields):
        with self.lock:
            return sum(1 for e in self.events if isinstance(e, kind)
                       and all(getattr(e, k) == v for k, v in fields.items()))

    def last(self):
        with self.lock:
            return self.events[-1] if self.events else None


def note_texts(client, order_id):
    return [n.text for n in client.order(order_id).office_log if n.action == "note"]


class Keychain(fieldline.SecretStore):
    def __init__(self):
        self.items = {}

    def load(self, key):
        return self.items.get(key)

    def save(self, key, value):
        self.items[key] = value


class BindingsTest(unittest.TestCase):
    def open_signed_in(self, name, username=None, **platform):
        client = FieldClient.open(os.path.join(env("FIELDLINE_WORK_DIR"), name), **platform)
        client.sign_in(env("FIELDLINE_URL"), username or env("FIELDLINE_READER"),
                       env("FIELDLINE_PASSWORD"), f"python-{name}")
        return client

    def setUp(self):
        link("up")
        self.orders = env("FIELDLINE_ORDERS").split(",")
        self.office = Office()

    def test_a_reading_recorded_offline_reaches_the_office_after_reconnect(self):
        client = self.open_signed_in("offline")
        client.sync()
        order_id = self.orders[0]
        self.assertEqual(client.order(order_id).status, OrderStatus.ASSIGNED)

        link("down")
        client.record(order_id, FieldAction.ARRIVE())
        entry = client.reading(order_id, 1, env("FIELDLINE_GOOD_READING"))
        self.assertEqual(entry.readings[0].validation, "normal")
        self.assertGreater(client.pending_changes(), 0)
        with self.assertRaises(FieldlineError.Network):
            client.sync()
        self.assertEqual(client.order(order_id).status, OrderStatus.IN_PROGRESS)

        link("up")
        report = client.sync()
        self.assertGreater(report.uploaded_changes, 0)
        self.assertEqual(client.pending_changes(), 0)
        self.assertIsNotNone(client.last_sync_at_ms())
        office = self.office.order(order_id)
        readings = [e for e in office["field"] if e["action"]["action"] == "reading"]
        self.assertEqual(len(readings), 1)
        self.assertEqual(readings[0]["action"]["readings"][0]["value"],
                         env("FIELDLINE_GOOD_READING"))
        self.assertEqual(office["derived"]["status"], "in_progress")

    def test_a_refused_reading_is_a_validation_error_with_rule_and_field(self):
        client = self.open_signed_in("refusal")
        client.sync()
        order_id = self.orders[1]
        client.record(order_id, FieldAction.ARRIVE())
        pending = client.pending_changes()
        with self.assertRaises(FieldlineError.Validation) as refused:
            client.reading(order_id, 1, "123456789")
        self.assertEqual(refused.exception.field, "readings[0].value")
        self.assertEqual(refused.exception.rule, "cycle_read.full_scale")
        self.assertTrue(refused.exception.detail)
        self.assertEqual(client.pending_changes(), pending, "a refusal writes nothing")
        with self.assertRaises(FieldlineError.Conflict):
            client.order("00000000-0000-0000-0000-000000000000")

    def test_the_order_observer_hears_office_changes_until_its_handle_is_cancelled(self):
        client = self.open_signed_in("observer")
        states = SyncStates()
        state_handle = client.observe_sync_state(states)
        client.sync()
        self.assertIsInstance(states.states[0], SyncState.SYNCING)
        self.assertIsInstance(states.states[-1], SyncState.SYNCED)

        order_id = self.orders[2]
        recorder = Recorder()
        handle = client.observe_orders(recorder)
        self.office.note(order_id, "the dog is friendly")
        client.sync()
        wait_for(lambda: recorder.seen(order_id), "the observer to hear the office note")
        notes = [n for n in client.order(order_id).office_log if n.action == "note"]
        self.assertEqual([n.text for n in notes], ["the dog is friendly"])

        handle.cancel()
        self.assertFalse(handle.is_active())
        heard = recorder.count()
        self.office.note(order_id, "gate code 1234")
        report = client.sync()
        self.assertIn(order_id, report.changed_orders)
        self.assertEqual(recorder.count(), heard, "a cancelled observer hears nothing")

        dropped = Recorder()
        dropped_handle = client.observe_orders(dropped)
        del dropped_handle
        client.record(order_id, FieldAction.NOTE(code=None, text="left a door hanger"))
        self.assertEqual(dropped.count(), 0, "a dropped handle's observer hears nothing")
        state_handle.cancel()

    def test_the_push_listener_syncs_on_office_changes_and_after_a_lost_link(self):
        client = self.open_signed_in("push")
        order_id = self.orders[1]
        recorder = Recorder()
        handle = client.observe_orders(recorder)
        events = PushEvents()
        push = client.start_push(events)
        self.assertTrue(push.is_running())
        wait_for(lambda: events.count(PushEvent.SYNCED, cause=SyncCause.CONNECTED) >= 1,
                 "the sync on connect")

        # No sync() call from here on: the pokes do it.
        self.office.note(order_id, "push: ring the bell twice")
        wait_for(lambda: "push: ring the bell twice" in note_texts(client, order_id),
                 "the poked sync to bring the note")
        wait_for(lambda: events.count(PushEvent.SYNCED, cause=SyncCause.POKED) >= 1,
                 "the poked sync's event")
        self.assertTrue(recorder.seen(order_id))

        # The link drops; a note made meanwhile arrives once the listener is back.
        link("down")
        wait_for(lambda: events.count(PushEvent.DISCONNECTED) >= 1, "the listener to notice")
        self.office.note(order_id, "push: made while away")
        link("up")
        wait_for(lambda: "push: made while away" in note_texts(client, order_id),
                 "the reconnect's sync to bring the note")

        push.stop()
        self.assertFalse(push.is_running())
        self.assertIsInstance(events.last(), PushEvent.STOPPED)
        handle.cancel()

    def test_the_platform_clock_location_and_secret_store_are_used(self):
        keychain = Keychain()
        clock = FixedClock(int(time.time() * 1000) - 60_000)
        client = self.open_signed_in("platform", clock=clock, location=Here(), secrets=keychain)
        self.assertEqual(sorted(key.split(".")[1] for key in keychain.items),
                         ["access-token", "refresh-token"], "both tokens went to the secret store")
        client.sync()
        entry = client.record(self.orders[2], FieldAction.EN_ROUTE())
        self.assertEqual(entry.device_time_ms, clock.now)
        self.assertAlmostEqual(entry.gps.lat, 43.02)
        keychain.items.clear()
        with self.assertRaises(FieldlineError.Unauthorized):
            client.sync()

    def test_a_turn_off_is_worked_step_by_step_and_its_completion_reaches_the_office(self):
        client = self.open_signed_in("turn_off")
        client.sync()
        order_id = env("FIELDLINE_TURN_OFF")
        order = client.order(order_id)
        self.assertEqual(order.order_type, "turn_off")

        requirements = client.requirements(order_id)
        steps = [s.step for s in requirements.steps]
        self.assertEqual(steps, [Step.READING, Step.METER_VERIFIED, Step.VALVE,
                                 Step.SEAL_INSTALLED, Step.CUSTOMER])
        valve = requirements.steps[2]
        self.assertEqual(valve.choices[0].field, "position")
        self.assertEqual(valve.choices[0].options, ["on", "off"])
        self.assertTrue(requirements.not_done_reasons)

        def capture(step, photos=()):
            return client.record(order_id, FieldAction.CAPTURE(
                capture=step, photos=list(photos), note=None))

        client.record(order_id, FieldAction.ARRIVE())
        client.record(order_id, FieldAction.START())
        with self.assertRaises(FieldlineError.Validation) as refused:
            capture(Capture.LEAK_CHECK(indicator_moving=False, resolution=None))
        self.assertEqual((refused.exception.rule, refused.exception.field),
                         ("common.step", "capture.step"))
        with self.assertRaises(FieldlineError.Validation) as refused:
            client.record(order_id, FieldAction.COMPLETE(code=None, photos=[]))
        self.assertEqual((refused.exception.rule, refused.exception.field),
                         ("turn_off.completion", "readings"))

        readings = [ReadingInput(register=i + 1, value=v, confirmation=None,
                                 method=ReadMethod.KEYED)
                    for i, v in enumerate(env("FIELDLINE_TURN_OFF_READINGS").split(","))]
        client.record(order_id, FieldAction.READING(
            readings=readings, reader_codes=[], trouble_code=None, note=None, photos=[]))
        capture(Capture.METER_VERIFIED(serial=order.meter.serial))
        photo = PhotoRef(sha256="ab" * 32, kind=PhotoKind.METER)
        entry = capture(Capture.VALVE(position=ValvePosition.OFF, point=None), [photo])
        self.assertEqual(entry.action.capture.position, ValvePosition.OFF)
        capture(Capture.SEAL_INSTALLED(number="FL000201"))
        capture(Capture.CUSTOMER(present=False, notified=False, door_hanger=True))
        client.record(order_id, FieldAction.COMPLETE(code=None, photos=[]))
        self.assertEqual(client.order(order_id).status, OrderStatus.COMPLETED)

        client.sync()
        self.assertEqual(client.pending_changes(), 0)
        office = self.office.order(order_id)
        self.assertEqual(office["derived"]["status"], "completed")
        captures = [e["action"]["capture"]["step"] for e in office["field"]
                    if e["action"]["action"] == "capture"]
        self.assertEqual(captures, ["meter_verified", "valve", "seal_installed", "customer"])

    def test_a_field_found_problem_becomes_an_order_the_office_sees(self):
        client = self.open_signed_in("field_found")
        client.sync()
        requirements = client.requirements_for_type("field_found")
        problem = requirements.steps[0]
        self.assertEqual(problem.step, Step.PROBLEM)
        self.assertIn("leak", [c.code for c in problem.code_lists[0].codes])
        with self.assertRaises(FieldlineError.Other):
            client.requirements_for_type("no_such_type")

        report = fieldline.FieldReport(
            code="leak", severity=fieldline.ProblemSeverity.HIGH, address="12 Elm St",
            photos=[PhotoRef(sha256="cd" * 32, kind=PhotoKind.LEAK)])
        with self.assertRaises(FieldlineError.Validation) as refused:
            client.create_field_found(report)
        self.assertEqual((refused.exception.rule, refused.exception.field),
                         ("field_found.problem", "gps"))
        created = client.create_field_found(
            report, gps=fieldline.GpsFix(lat=43.02, lon=-108.39, accuracy_m=4.0))
        self.assertEqual(created.entry.action.capture.code, "leak")
        self.assertEqual(client.order(created.order_id).order_type, "field_found")

        client.sync()
        self.assertEqual(client.pending_changes(), 0)
        office = self.office.order(created.order_id)
        self.assertEqual(office["office"]["order_type"], "field_found")
        problems = [e["action"]["capture"]["code"] for e in office["field"]
                    if e["action"]["action"] == "capture"]
        self.assertEqual(problems, ["leak"])

    def test_a_500_order_route_comes_back_in_walk_order_in_one_call(self):
        client = self.open_signed_in("route", username=env("FIELDLINE_ROUTE_READER"))
        report = client.sync()
        size = int(env("FIELDLINE_ROUTE_SIZE"))
        self.assertEqual(report.new_orders, size)
        route = client.orders()
        self.assertEqual(len(route), size)
        self.assertEqual([o.position for o in route], list(range(1, size + 1)))
        self.assertEqual([o.sequence for o in route], list(range(1, size + 1)))
        self.assertTrue(all(o.address for o in route))


if __name__ == "__main__":
    unittest.main()
