// The generated Kotlin module driven as an Android app would drive it (through JNA, on the JVM),
// against the real server bindings/tests/fixture.py started; see its docstring for the
// environment. A plain `main` (no test framework to install): each test prints its name and
// result, and the process exits 1 when one fails.
package org.fieldline.ffi.test

import java.io.File
import java.net.HttpURLConnection
import java.net.URI
import java.util.Collections
import org.fieldline.ffi.Capture
import org.fieldline.ffi.FieldAction
import org.fieldline.ffi.FieldClient
import org.fieldline.ffi.FieldlineException
import org.fieldline.ffi.OrderObserver
import org.fieldline.ffi.OrderStatus
import org.fieldline.ffi.PhotoKind
import org.fieldline.ffi.PhotoRef
import org.fieldline.ffi.PushEvent
import org.fieldline.ffi.PushObserver
import org.fieldline.ffi.ReadMethod
import org.fieldline.ffi.ReadingInput
import org.fieldline.ffi.Step
import org.fieldline.ffi.SyncCause
import org.fieldline.ffi.SyncState
import org.fieldline.ffi.SyncStateObserver
import org.fieldline.ffi.ValvePosition
import kotlin.system.exitProcess

private const val WAIT_MS = 30_000L

private fun env(name: String): String =
    System.getenv(name)?.takeIf { it.isNotEmpty() }
        ?: error("$name is not set: run through scripts/test-bindings")

private fun check(condition: Boolean, message: () -> String) {
    if (!condition) throw AssertionError(message())
}

private fun waitFor(what: String, condition: () -> Boolean) {
    val deadline = System.currentTimeMillis() + WAIT_MS
    while (!condition()) {
        if (System.currentTimeMillis() > deadline) throw AssertionError("timed out waiting for $what")
        Thread.sleep(20)
    }
}

private inline fun <reified E : Throwable> assertThrows(block: () -> Unit): E {
    try {
        block()
    } catch (e: Throwable) {
        if (e is E) return e
        throw AssertionError("expected ${E::class.simpleName}, got $e")
    }
    throw AssertionError("expected ${E::class.simpleName}, nothing was thrown")
}

/** A tiny JSON-over-HTTP client for the office API and the link switch (no JSON library: the
 * test only needs a token out of a response and substrings of an order). */
private fun http(method: String, url: String, body: String? = null, token: String? = null): String {
    val conn = URI(url).toURL().openConnection() as HttpURLConnection
    conn.requestMethod = method
    conn.setRequestProperty("content-type", "application/json")
    token?.let { conn.setRequestProperty("authorization", "Bearer $it") }
    if (body != null) {
        conn.doOutput = true
        conn.outputStream.use { it.write(body.toByteArray()) }
    }
    val code = conn.responseCode
    val text = (if (code < 400) conn.inputStream else conn.errorStream)?.use { String(it.readBytes()) } ?: ""
    check(code < 400) { "$method $url: $code $text" }
    return text
}

private fun link(state: String) {
    http("POST", "${env("FIELDLINE_LINK_CONTROL")}/$state")
}

private object Office {
    val url = env("FIELDLINE_OFFICE_URL")
    val token: String by lazy {
        val answer = http(
            "POST", "$url/api/v1/auth/login",
            """{"username":"${env("FIELDLINE_OFFICE_USER")}","password":"${env("FIELDLINE_PASSWORD")}"}""",
        )
        Regex("\"access_token\"\\s*:\\s*\"([^\"]+)\"").find(answer)?.groupValues?.get(1)
            ?: error("no access token in $answer")
    }

    fun order(id: String): String = http("GET", "$url/api/v1/orders/$id", token = token)

    fun note(id: String, text: String) {
        http("POST", "$url/api/v1/orders/$id/notes", """{"text":"$text"}""", token)
    }
}

private class Recorder : OrderObserver {
    val calls: MutableList<List<String>> = Collections.synchronizedList(mutableListOf())

    override fun ordersChanged(orderIds: List<String>) {
        calls.add(orderIds)
    }

    fun seen(id: String) = synchronized(calls) { calls.any { id in it } }
}

private class SyncStates : SyncStateObserver {
    val states: MutableList<SyncState> = Collections.synchronizedList(mutableListOf())

    override fun syncStateChanged(state: SyncState) {
        states.add(state)
    }
}

private class PushEvents : PushObserver {
    val events: MutableList<PushEvent> = Collections.synchronizedList(mutableListOf())

    override fun pushEvent(event: PushEvent) {
        events.add(event)
    }

    fun synced(cause: SyncCause) =
        synchronized(events) { events.count { it is PushEvent.Synced && it.cause == cause } }

    fun disconnects() = synchronized(events) { events.count { it is PushEvent.Disconnected } }
}

private val orders = env("FIELDLINE_ORDERS").split(",")

private fun FieldClient.noteTexts(id: String) =
    order(id).officeLog.filter { it.action == "note" }.map { it.text }

private fun openSignedIn(name: String, username: String = env("FIELDLINE_READER")): FieldClient {
    val client = FieldClient.open(File(env("FIELDLINE_WORK_DIR"), name).path)
    client.signIn(env("FIELDLINE_URL"), username, env("FIELDLINE_PASSWORD"), "kotlin-$name")
    return client
}

private fun aReadingRecordedOfflineReachesTheOfficeAfterReconnect() {
    openSignedIn("offline").use { client ->
        client.sync()
        val id = orders[0]
        check(client.order(id).status == OrderStatus.ASSIGNED) { "status ${client.order(id).status}" }

        link("down")
        client.record(id, FieldAction.Arrive)
        val entry = client.reading(id, 1u, env("FIELDLINE_GOOD_READING"))
        check(entry.readings.single().validation == "normal") { "outcome ${entry.readings}" }
        check(client.pendingChanges() > 0uL) { "nothing pending after an offline reading" }
        assertThrows<FieldlineException.Network> { client.sync() }
        check(client.order(id).status == OrderStatus.IN_PROGRESS) { "status ${client.order(id).status}" }

        link("up")
        val report = client.sync()
        check(report.uploadedChanges > 0uL) { "nothing uploaded: $report" }
        check(client.pendingChanges() == 0uL) { "still pending after sync" }
        check(client.lastSyncAtMs() != null) { "no last sync time" }
        val office = Office.order(id)
        check(office.contains("\"value\":\"${env("FIELDLINE_GOOD_READING")}\"")) {
            "the office does not see the reading: $office"
        }
        check(office.contains("\"status\":\"in_progress\"")) { "the office status is not in_progress: $office" }
    }
}

private fun aRefusedReadingIsAValidationErrorWithRuleAndField() {
    openSignedIn("refusal").use { client ->
        client.sync()
        val id = orders[1]
        client.record(id, FieldAction.Arrive)
        val pending = client.pendingChanges()
        val refused = assertThrows<FieldlineException.Validation> { client.reading(id, 1u, "123456789") }
        check(refused.field == "readings[0].value") { "field ${refused.field}" }
        check(refused.rule == "cycle_read.full_scale") { "rule ${refused.rule}" }
        check(refused.detail.isNotEmpty()) { "no message" }
        check(client.pendingChanges() == pending) { "a refusal wrote something" }
        assertThrows<FieldlineException.Conflict> { client.order("00000000-0000-0000-0000-000000000000") }
    }
}

private fun theOrderObserverHearsOfficeChangesUntilItsHandleIsClosed() {
    openSignedIn("observer").use { client ->
        val states = SyncStates()
        client.observeSyncState(states).use {
            client.sync()
            check(states.states.first() is SyncState.Syncing) { "states ${states.states}" }
            check(states.states.last() is SyncState.Synced) { "states ${states.states}" }
        }

        val id = orders[2]
        val recorder = Recorder()
        val handle = client.observeOrders(recorder)
        Office.note(id, "the dog is friendly")
        client.sync()
        waitFor("the observer to hear the office note") { recorder.seen(id) }
        val notes = client.order(id).officeLog.filter { it.action == "note" }.map { it.text }
        check(notes == listOf("the dog is friendly")) { "notes $notes" }

        handle.close()
        val heard = recorder.calls.size
        Office.note(id, "gate code 1234")
        val report = client.sync()
        check(id in report.changedOrders) { "the second note did not arrive: $report" }
        check(recorder.calls.size == heard) { "a closed handle's observer was called: ${recorder.calls}" }
        val syncsBefore = states.states.size
        client.sync()
        check(states.states.size == syncsBefore) { "a closed sync-state handle's observer was called" }
    }
}

private fun aTurnOffIsWorkedStepByStepAndItsCompletionReachesTheOffice() {
    openSignedIn("turn_off").use { client ->
        client.sync()
        val id = env("FIELDLINE_TURN_OFF")
        val order = client.order(id)
        check(order.orderType == "turn_off") { "type ${order.orderType}" }

        val requirements = client.requirements(id)
        val steps = requirements.steps.map { it.step }
        check(steps == listOf(Step.READING, Step.METER_VERIFIED, Step.VALVE, Step.SEAL_INSTALLED, Step.CUSTOMER)) {
            "steps $steps"
        }
        val valve = requirements.steps[2].choices.first()
        check(valve.field == "position" && valve.options == listOf("on", "off")) { "valve choices $valve" }

        fun capture(step: Capture, photos: List<PhotoRef> = emptyList()) =
            client.record(id, FieldAction.Capture(step, photos, null))

        client.record(id, FieldAction.Arrive)
        client.record(id, FieldAction.Start)
        val notAStep = assertThrows<FieldlineException.Validation> { capture(Capture.LeakCheck(false, null)) }
        check(notAStep.rule == "common.step" && notAStep.field == "capture.step") { "refused $notAStep" }
        val early = assertThrows<FieldlineException.Validation> {
            client.record(id, FieldAction.Complete(null, emptyList()))
        }
        check(early.rule == "turn_off.completion" && early.field == "readings") { "refused $early" }

        val readings = env("FIELDLINE_TURN_OFF_READINGS").split(",").mapIndexed { i, value ->
            ReadingInput((i + 1).toUInt(), value, null, ReadMethod.KEYED)
        }
        client.record(id, FieldAction.Reading(readings, emptyList(), null, null, emptyList()))
        capture(Capture.MeterVerified(order.meter!!.serial))
        val photo = PhotoRef("cd".repeat(32), PhotoKind.METER)
        val valveEntry = capture(Capture.Valve(ValvePosition.OFF, null), listOf(photo))
        check((valveEntry.action as FieldAction.Capture).capture == Capture.Valve(ValvePosition.OFF, null)) {
            "entry ${valveEntry.action}"
        }
        capture(Capture.SealInstalled("FL000202"))
        capture(Capture.Customer(false, false, true))
        client.record(id, FieldAction.Complete(null, emptyList()))
        check(client.order(id).status == OrderStatus.COMPLETED) { "status ${client.order(id).status}" }

        client.sync()
        check(client.pendingChanges() == 0uL) { "still pending after sync" }
        val office = Office.order(id)
        check(office.contains("\"status\":\"completed\"")) { "the office does not see the completion: $office" }
        check(office.contains("\"step\":\"seal_installed\"")) { "the office does not see the seal: $office" }
    }
}

private fun aFiveHundredOrderRouteComesBackInWalkOrderInOneCall() {
    openSignedIn("route", env("FIELDLINE_ROUTE_READER")).use { client ->
        val size = env("FIELDLINE_ROUTE_SIZE").toInt()
        val report = client.sync()
        check(report.newOrders == size.toULong()) { "received ${report.newOrders} orders" }
        val route = client.orders()
        check(route.size == size) { "${route.size} orders listed" }
        check(route.map { it.position.toInt() } == (1..size).toList()) { "positions out of order" }
        check(route.map { it.sequence?.toInt() } == (1..size).toList()) { "not in walk order" }
    }
}

private fun thePushListenerSyncsOnOfficeChangesAndAfterALostLink() {
    openSignedIn("push").use { client ->
        val id = orders[1]
        val events = PushEvents()
        val push = client.startPush(events)
        check(push.isRunning()) { "the listener is not running" }
        waitFor("the sync on connect") { events.synced(SyncCause.CONNECTED) >= 1 }

        // No sync() call from here on: the pokes do it.
        Office.note(id, "kotlin push: ring the bell twice")
        waitFor("the poked sync to bring the note") {
            "kotlin push: ring the bell twice" in client.noteTexts(id)
        }
        waitFor("the poked sync's event") { events.synced(SyncCause.POKED) >= 1 }

        // The link drops; a note made meanwhile arrives once the listener is back.
        link("down")
        waitFor("the listener to notice the lost link") { events.disconnects() >= 1 }
        Office.note(id, "kotlin push: made while away")
        link("up")
        waitFor("the reconnect's sync to bring the note") {
            "kotlin push: made while away" in client.noteTexts(id)
        }

        push.stop()
        check(!push.isRunning()) { "the listener still runs after stop()" }
        val last = synchronized(events.events) { events.events.last() }
        check(last is PushEvent.Stopped) { "last event $last" }
        push.close()
    }
}

fun main() {
    val tests = listOf(
        "a_reading_recorded_offline_reaches_the_office_after_reconnect" to ::aReadingRecordedOfflineReachesTheOfficeAfterReconnect,
        "a_refused_reading_is_a_validation_error_with_rule_and_field" to ::aRefusedReadingIsAValidationErrorWithRuleAndField,
        "the_order_observer_hears_office_changes_until_its_handle_is_closed" to ::theOrderObserverHearsOfficeChangesUntilItsHandleIsClosed,
        "a_turn_off_is_worked_step_by_step_and_its_completion_reaches_the_office" to ::aTurnOffIsWorkedStepByStepAndItsCompletionReachesTheOffice,
        "a_500_order_route_comes_back_in_walk_order_in_one_call" to ::aFiveHundredOrderRouteComesBackInWalkOrderInOneCall,
        "the_push_listener_syncs_on_office_changes_and_after_a_lost_link" to ::thePushListenerSyncsOnOfficeChangesAndAfterALostLink,
    )
    var failed = 0
    for ((name, test) in tests) {
        link("up")
        try {
            test()
            println("kotlin $name ... ok")
        } catch (e: Throwable) {
            failed++
            println("kotlin $name ... FAILED: $e")
            e.printStackTrace()
        }
    }
    println("kotlin: ${tests.size - failed} passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
