package dev.imagerouter.callbacks;

import com.standardwebhooks.Webhook;
import dev.imagerouter.callbacks.Delivery.Outcome;
import dev.imagerouter.settings.RouterConfig;
import dev.imagerouter.vocabulary.LogContext;
import dev.imagerouter.vocabulary.MetricNames;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.InetAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Delivery over real HTTP to a local receiver: signing, retries, give-ups, redirects, the listener and the counter. */
class CallbackSenderTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private final List<Delivery> heard = new CopyOnWriteArrayList<>();
    /** When the listener heard each delivery: the failure had been decided and the next delivery scheduled. */
    private final List<Instant> heardAt = new CopyOnWriteArrayList<>();
    private final DeliveryListener listener = delivery -> {
        heardAt.add(Instant.now());
        heard.add(delivery);
    };

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closeables) {
            c.close();
        }
    }

    private CallbackReceiver receiver() throws Exception {
        CallbackReceiver receiver = new CallbackReceiver();
        closeables.add(receiver);
        return receiver;
    }

    private CallbackSender sender(RouterConfig config) {
        return sender(new CallbackDestinations(CallbackConfigs.running(config)), config);
    }

    private CallbackSender sender(CallbackDestinations destinations, RouterConfig config) {
        CallbackSender sender = new CallbackSender(CallbackConfigs.running(config), destinations, Clock.systemUTC(), meters);
        closeables.add(sender);
        return sender;
    }

    /** Sandbox mode (the receiver on 127.0.0.1 needs no listing) with short backoffs. */
    private static RouterConfig fastSandbox(String initialBackoff, String maxAge) {
        return CallbackConfigs.sandbox(Map.of("ROUTER_CALLBACKS_INITIAL_BACKOFF", initialBackoff,
                "ROUTER_CALLBACKS_MAX_AGE", maxAge, "ROUTER_CALLBACKS_TIMEOUT", "2s"));
    }

    private static Callback callback(String url, String body) {
        return Callback.first("msg_job_" + System.nanoTime(), URI.create(url), body.getBytes(StandardCharsets.UTF_8), Instant.now());
    }

    /** The delay before the next delivery, from when the i-th failure was decided (the exchange's time left out). */
    private Duration backoffAfter(int i) {
        return Duration.between(heardAt.get(i), heard.get(i).nextAttemptAt().orElseThrow());
    }

    private List<Outcome> outcomes() {
        return heard.stream().map(Delivery::outcome).toList();
    }

    private double count(Outcome outcome) {
        return meters.get(MetricNames.CALLBACK_DELIVERIES).tag("outcome", outcome.wire()).counter().count();
    }

    private void awaitFinal() {
        await().atMost(Duration.ofSeconds(10)).until(() -> !heard.isEmpty() && heard.get(heard.size() - 1).outcome() != Outcome.RETRYING);
    }

    @Test
    void aDelivery_arrivesOnce_signedSoThatTheLibraryAndAnIndependentHmacAgree() throws Exception {
        // Given a router with its own secret in ROUTER_CALLBACK_SECRET and a receiver
        String secret = CallbackConfigs.newSecret();
        RouterConfig config = CallbackConfigs.sandbox(Map.of("ROUTER_CALLBACK_SECRET", secret));
        CallbackReceiver receiver = receiver();
        String body = "{\"id\":\"job_1\",\"status\":\"completed\",\"prompt\":\"phare au crépuscule 🌅\"}";
        Callback callback = callback(receiver.url(), body);
        long before = Instant.now().getEpochSecond();

        // When it is sent
        sender(config).send(callback, listener);

        // Then it is delivered, and exactly once
        awaitFinal();
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> receiver.requests().size() == 1);
        assertEquals(List.of(Outcome.DELIVERED), outcomes());
        Delivery delivery = heard.get(0);
        assertEquals(1, delivery.attempt());
        assertEquals(200, delivery.httpStatus().orElseThrow());
        assertTrue(delivery.error().isEmpty() && delivery.nextAttemptAt().isEmpty());
        assertEquals(1.0, count(Outcome.DELIVERED));

        CallbackReceiver.Request request = receiver.requests().get(0);
        assertArrayEquals(body.getBytes(StandardCharsets.UTF_8), request.body(), "the body is sent byte for byte");
        assertTrue(request.header("Content-Type").startsWith("application/json"), request.header("Content-Type"));
        assertEquals("image-router", request.header("User-Agent"));
        assertEquals(callback.messageId(), request.header("webhook-id"));
        long timestamp = Long.parseLong(request.header("webhook-timestamp"));
        assertTrue(timestamp >= before && timestamp <= Instant.now().getEpochSecond(), "timestamp " + timestamp);
        assertEquals(delivery.at().getEpochSecond(), timestamp);

        // and the Standard Webhooks library accepts it
        assertDoesNotThrow(() -> new Webhook(secret).verify(new String(request.body(), StandardCharsets.UTF_8), request.headers()));
        // and an HMAC-SHA256 computed here, over the bytes received, is the signature
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(Base64.getDecoder().decode(secret.substring("whsec_".length())), "HmacSHA256"));
        mac.update((callback.messageId() + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        mac.update(request.body());
        assertEquals("v1," + Base64.getEncoder().encodeToString(mac.doFinal()), request.header("webhook-signature"));
        // and a signature made with another secret does not verify (the check above is not vacuous)
        assertFalse(verifies(CallbackConfigs.newSecret(), request));
    }

    private static boolean verifies(String secret, CallbackReceiver.Request request) {
        try {
            new Webhook(secret).verify(new String(request.body(), StandardCharsets.UTF_8), request.headers());
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void inSandboxModeWithoutASecret_theDocumentedSandboxSecretSigns() throws Exception {
        CallbackReceiver receiver = receiver();
        sender(CallbackConfigs.sandbox(Map.of())).send(callback(receiver.url(), "{}"), listener);

        awaitFinal();
        assertEquals(List.of(Outcome.DELIVERED), outcomes());
        assertTrue(verifies(dev.imagerouter.settings.CallbackSettings.SANDBOX_SECRET, receiver.requests().get(0)));
    }

    @Test
    void fiveHundredTwice_thenOk_isThreeDeliveries_retryingTwiceWithGrowingBackoff_thenDelivered() throws Exception {
        // Given a receiver that fails twice, and a 200 ms initial backoff
        CallbackReceiver receiver = receiver();
        CallbackSender sender = warm(sender(fastSandbox("200ms", "1h")), receiver);
        receiver.script(500, 500);
        double deliveredBefore = count(Outcome.DELIVERED); // the warm-up's
        Callback callback = callback(receiver.url(), "{\"id\":\"job_2\"}");

        sender.send(callback, listener);

        // Then the listener hears RETRYING, RETRYING, DELIVERED for deliveries 1, 2, 3
        awaitFinal();
        assertEquals(List.of(Outcome.RETRYING, Outcome.RETRYING, Outcome.DELIVERED), outcomes());
        assertEquals(List.of(1, 2, 3), heard.stream().map(Delivery::attempt).toList());
        assertEquals(500, heard.get(0).httpStatus().orElseThrow());
        assertEquals("HTTP 500", heard.get(0).error().orElseThrow());
        // and the backoff grows: 200 ms ± 10 %, then 400 ms ± 10 %
        Duration first = backoffAfter(0);
        Duration second = backoffAfter(1);
        assertTrue(first.toMillis() >= 170 && first.toMillis() <= 220, "first backoff " + first);
        assertTrue(second.toMillis() >= 350 && second.toMillis() <= 440, "second backoff " + second);
        assertTrue(second.compareTo(first) > 0, first + " then " + second);
        // and the receiver saw three deliveries of one message, spaced by those delays
        List<CallbackReceiver.Request> requests = receiver.requests("/hook");
        assertEquals(3, requests.size());
        assertEquals(1, requests.stream().map(r -> r.header("webhook-id")).distinct().count());
        long gap1 = (requests.get(1).arrivedNanos() - requests.get(0).arrivedNanos()) / 1_000_000;
        long gap2 = (requests.get(2).arrivedNanos() - requests.get(1).arrivedNanos()) / 1_000_000;
        assertTrue(gap1 >= 170 && gap2 >= 340 && gap2 > gap1, "gaps " + gap1 + " ms, " + gap2 + " ms");
        assertEquals(2.0, count(Outcome.RETRYING));
        assertEquals(deliveredBefore + 1, count(Outcome.DELIVERED));
    }

    @Test
    void everyLineOfAMessage_carriesTheLogContextOfItsSender_onTheSendersThreadAndAfterARetry() throws Exception {
        CallbackReceiver receiver = receiver().script(500);
        CallbackSender sender = sender(fastSandbox("100ms", "1h"));
        try (dev.imagerouter.testing.LogCapture logs = new dev.imagerouter.testing.LogCapture()) {
            try (LogContext.Scope ignored = LogContext.open(Map.of(LogContext.REQUEST_ID, "req_callback_context",
                    LogContext.JOB_ID, "job_callback_context"))) {
                sender.send(callback(receiver.url(), "{}"), listener);
            }
            awaitFinal();
            assertEquals(List.of(Outcome.RETRYING, Outcome.DELIVERED), outcomes());
            var delivered = logs.events().stream().filter(e -> e.getFormattedMessage().startsWith("callback delivered")).toList();
            assertEquals(1, delivered.size(), logs.lines().toString());
            assertEquals("req_callback_context", delivered.get(0).getMDCPropertyMap().get(LogContext.REQUEST_ID));
            assertEquals("job_callback_context", delivered.get(0).getMDCPropertyMap().get(LogContext.JOB_ID));
            assertEquals("callback-sender", delivered.get(0).getThreadName());
        }
    }

    @Test
    void gone_givesUpAfterOneDelivery() throws Exception {
        CallbackReceiver receiver = receiver().script(410);

        sender(fastSandbox("100ms", "1h")).send(callback(receiver.url(), "{}"), listener);

        awaitFinal();
        await().during(Duration.ofMillis(400)).atMost(Duration.ofSeconds(2)).until(() -> receiver.requests().size() == 1);
        assertEquals(List.of(Outcome.GAVE_UP), outcomes());
        assertEquals(410, heard.get(0).httpStatus().orElseThrow());
        assertTrue(heard.get(0).error().orElseThrow().contains("410"));
        assertEquals(1.0, count(Outcome.GAVE_UP));
    }

    @Test
    void maxAgeReached_givesUp_whenTheNextDeliveryWouldStartAfterIt() throws Exception {
        // Given a receiver that always fails, 200 ms initial backoff and a max-age of 1 s: deliveries at about
        // 0, 0.2 and 0.6 s (later if the first exchange is slow); the next would start after 1 s
        CallbackReceiver receiver = receiver();
        CallbackSender sender = warm(sender(fastSandbox("200ms", "1s")), receiver);
        receiver.script(500, 500, 500, 500, 500, 500);
        Callback callback = callback(receiver.url(), "{}");
        Instant deadline = callback.firstAttemptAt().plus(Duration.ofSeconds(1));

        sender.send(callback, listener);

        // Then it retries, then gives up on max-age, with the last delivery's status
        awaitFinal();
        List<Outcome> outcomes = outcomes();
        int n = outcomes.size();
        assertTrue(n >= 2 && outcomes.subList(0, n - 1).stream().allMatch(o -> o == Outcome.RETRYING)
                && outcomes.get(n - 1) == Outcome.GAVE_UP, outcomes.toString());
        Delivery last = heard.get(n - 1);
        assertEquals(500, last.httpStatus().orElseThrow());
        assertTrue(last.error().orElseThrow().contains("max-age"), last.error().orElseThrow());
        // and every delivery started within max-age, and the one given up would not have (even at -10 % jitter)
        assertTrue(heard.stream().allMatch(d -> !d.at().isAfter(deadline)), heard.toString());
        long leastNextDelay = Math.round(200 * Math.pow(2, n - 1) * 0.9);
        assertTrue(heardAt.get(n - 1).plusMillis(leastNextDelay).isAfter(deadline));
        // and the receiver saw exactly those deliveries
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> receiver.requests("/hook").size() == n);
    }

    /**
     * Delivers one message to {@code receiver}'s {@code /elsewhere} first, so that a timing-sensitive test does not
     * measure the first exchange of the JVM (class loading, event loop start: up to seconds on two cores).
     */
    private CallbackSender warm(CallbackSender sender, CallbackReceiver receiver) {
        List<Delivery> warmUp = new CopyOnWriteArrayList<>();
        sender.send(callback(receiver.base() + "/elsewhere", "{}"), warmUp::add);
        await().atMost(Duration.ofSeconds(10)).until(() -> warmUp.size() == 1);
        assertEquals(Outcome.DELIVERED, warmUp.get(0).outcome());
        return sender;
    }

    @Test
    void aMessageAlreadyPastMaxAge_isGivenUpWithoutADelivery_andResumedOnesKeepTheirNumbering() throws Exception {
        CallbackReceiver receiver = receiver();
        RouterConfig config = fastSandbox("200ms", "1h");
        CallbackSender sender = sender(config);

        // resumed after a restart, first delivered more than max-age ago
        sender.send(new Callback("msg_old", URI.create(receiver.url()), new byte[]{'{', '}'},
                Instant.now().minus(Duration.ofHours(2)), 4), listener);

        awaitFinal();
        assertEquals(List.of(Outcome.GAVE_UP), outcomes());
        assertEquals(5, heard.get(0).attempt());
        assertTrue(heard.get(0).httpStatus().isEmpty());
        assertTrue(heard.get(0).error().orElseThrow().contains("max-age"));
        assertTrue(receiver.requests().isEmpty());

        // resumed within max-age: delivery number 5, backoff continuing from there (200 ms × 2^4 = 3.2 s ± 10 %)
        heard.clear();
        heardAt.clear();
        receiver.script(500);
        sender.send(new Callback("msg_resumed", URI.create(receiver.url()), new byte[]{'{', '}'},
                Instant.now().minus(Duration.ofMinutes(1)), 4), listener);
        await().atMost(Duration.ofSeconds(5)).until(() -> !heard.isEmpty());
        Delivery first = heard.get(0);
        assertEquals(5, first.attempt());
        assertEquals(Outcome.RETRYING, first.outcome());
        long backoff = backoffAfter(0).toMillis();
        assertTrue(backoff >= 2870 && backoff <= 3520, "backoff " + backoff);
    }

    @Test
    void aRedirect_isNotFollowed_butCountsAsAFailedDelivery_andIsRetried() throws Exception {
        CallbackReceiver receiver = receiver().script(302);

        sender(fastSandbox("100ms", "1h")).send(callback(receiver.url(), "{}"), listener);

        awaitFinal();
        assertEquals(List.of(Outcome.RETRYING, Outcome.DELIVERED), outcomes());
        assertEquals(302, heard.get(0).httpStatus().orElseThrow());
        assertTrue(heard.get(0).error().orElseThrow().contains("redirect not followed"), heard.get(0).error().orElseThrow());
        assertEquals(2, receiver.requests("/hook").size());
        assertTrue(receiver.requests("/elsewhere").isEmpty(), "the redirect target was requested");
    }

    @Test
    void noAnswerWithinTheTimeout_isAFailedDelivery_andIsRetried() throws Exception {
        CallbackReceiver receiver = receiver();
        RouterConfig config = CallbackConfigs.sandbox(Map.of("ROUTER_CALLBACKS_INITIAL_BACKOFF", "100ms",
                "ROUTER_CALLBACKS_TIMEOUT", "300ms"));
        CallbackSender sender = warm(sender(config), receiver);
        receiver.script(CallbackReceiver.SLOW);

        sender.send(callback(receiver.url(), "{}"), listener);

        awaitFinal();
        assertEquals(List.of(Outcome.RETRYING, Outcome.DELIVERED), outcomes());
        assertTrue(heard.get(0).httpStatus().isEmpty());
        assertTrue(heard.get(0).error().orElseThrow().contains("no answer within")
                || heard.get(0).error().orElseThrow().contains("Timeout"), heard.get(0).error().orElseThrow());
        assertTrue(Duration.between(heard.get(0).at(), heardAt.get(0)).toMillis() < CallbackReceiver.SLOW_MILLIS,
                "the delivery waited for the slow answer");
    }

    @Test
    void aRefusedConnection_isAFailedDelivery_andIsRetriedUntilMaxAge() throws Exception {
        int port;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = socket.getLocalPort();
        }

        sender(fastSandbox("100ms", "3s")).send(callback("http://127.0.0.1:" + port + "/hook", "{}"), listener);

        awaitFinal();
        List<Outcome> outcomes = outcomes();
        assertTrue(outcomes.size() >= 2 && outcomes.subList(0, outcomes.size() - 1).stream().allMatch(o -> o == Outcome.RETRYING)
                && outcomes.get(outcomes.size() - 1) == Outcome.GAVE_UP, outcomes.toString());
        assertTrue(heard.stream().allMatch(d -> d.httpStatus().isEmpty() && d.error().isPresent()));
        assertTrue(heard.get(outcomes.size() - 1).error().orElseThrow().contains("max-age"));
    }

    @Test
    void aListenerThatThrows_cannotStopTheDelivery() throws Exception {
        CallbackReceiver receiver = receiver().script(503);
        List<Delivery> seen = new CopyOnWriteArrayList<>();

        sender(fastSandbox("100ms", "1h")).send(callback(receiver.url(), "{}"), delivery -> {
            seen.add(delivery);
            throw new IllegalStateException("listener bug");
        });

        await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
        assertEquals(List.of(Outcome.RETRYING, Outcome.DELIVERED), seen.stream().map(Delivery::outcome).toList());
        assertEquals(2, receiver.requests().size());
    }

    @Test
    void aWildcardHostResolvingToAPrivateAddress_isGivenUpBeforeAnyRequest() {
        // Given *.hooks.test allowed, and a resolver that says cb.hooks.test is 127.0.0.1 (a DNS record pointing home)
        RouterConfig config = CallbackConfigs.live(Map.of("ROUTER_CALLBACK_SECRET", CallbackConfigs.newSecret(),
                "ROUTER_CALLBACKS_ALLOWED_HOSTS", "*.hooks.test"));
        CallbackDestinations destinations = new CallbackDestinations(CallbackConfigs.running(config),
                host -> new InetAddress[]{InetAddress.getByAddress(host, new byte[]{127, 0, 0, 1})});

        sender(destinations, config).send(callback("https://cb.hooks.test/done", "{}"), listener);

        awaitFinal();
        assertEquals(List.of(Outcome.GAVE_UP), outcomes());
        assertTrue(heard.get(0).httpStatus().isEmpty());
        assertTrue(heard.get(0).error().orElseThrow().contains("resolves to a loopback, private"), heard.get(0).error().orElseThrow());
    }

    @Test
    void aDestinationRefusedAtDeliveryTime_isGivenUpWithoutARequest() throws Exception {
        // live mode without listing: the loopback receiver is not allowed
        CallbackReceiver receiver = receiver();
        RouterConfig config = CallbackConfigs.live(Map.of("ROUTER_CALLBACK_SECRET", CallbackConfigs.newSecret()));

        sender(config).send(callback(receiver.url(), "{}"), listener);

        awaitFinal();
        assertEquals(List.of(Outcome.GAVE_UP), outcomes());
        assertTrue(heard.get(0).error().orElseThrow().contains("router.callbacks.allowed-hosts"));
        assertTrue(receiver.requests().isEmpty());
    }

    @Test
    void backoff_doublesFromInitial_isCappedAtMax_andJittersByTenPercent() {
        Duration initial = Duration.ofSeconds(5);
        Duration max = Duration.ofHours(2);
        assertEquals(Duration.ofMillis(5_000), CallbackSender.backoff(1, initial, max, 0.5));
        assertEquals(Duration.ofMillis(10_000), CallbackSender.backoff(2, initial, max, 0.5));
        assertEquals(Duration.ofMillis(40_000), CallbackSender.backoff(4, initial, max, 0.5));
        assertEquals(Duration.ofMillis(4_500), CallbackSender.backoff(1, initial, max, 0.0));
        assertEquals(Duration.ofMillis(5_500), CallbackSender.backoff(1, initial, max, 1.0));
        assertEquals(max, CallbackSender.backoff(12, initial, max, 0.5)); // 5 s × 2^11 > 2 h
        assertEquals(max, CallbackSender.backoff(1_000, initial, max, 0.5));
    }
}
