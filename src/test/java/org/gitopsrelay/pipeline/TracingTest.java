package org.gitopsrelay.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.gitopsrelay.testing.GitCli.git;
import static org.gitopsrelay.testing.Webhooks.github;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Inject;
import jakarta.inject.Singleton;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.testing.Fixtures;
import org.gitopsrelay.testing.MattermostWebhookEnvironment;
import org.gitopsrelay.testing.RelayTestEnvironment;
import org.gitopsrelay.testing.TopicReader;
import org.gitopsrelay.tracing.Spans;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;

/**
 * One trace from the webhook to the GitOps push, across the real embedded Kafka broker: the HTTP server span of
 * {@code POST /webhooks/github} is the ancestor of the span around the push made by the handler that consumed the
 * event. Spans are collected in memory, where a collector would receive them.
 */
@QuarkusTest
@QuarkusTestResource(value = RelayTestEnvironment.class, restrictToAnnotatedClass = true)
@QuarkusTestResource(value = MattermostWebhookEnvironment.class, restrictToAnnotatedClass = true)
@TestProfile(TracingTest.CollectorNamed.class)
class TracingTest {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String SERVER_SPAN = "POST /webhooks/github";
    /** Push times far ahead of any fixture, increasing, so that each push here is the newest and gets deployed. */

    /**
     * A collector is named, which is what turns tracing on; the OTLP exporter is left out of this build, so the
     * in-memory exporter below is the only one and nothing tries to reach that address.
     */
    /** Notifications go to an incoming webhook whose path is its secret. */
    private static final String WEBHOOK_KEY = MattermostWebhookEnvironment.DEFAULT_KEY;

    public static class CollectorNamed implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of(
                    "quarkus.otel.exporter.otlp.endpoint", "http://127.0.0.1:4317",
                    "quarkus.otel.exporter.otlp.enabled", "false",
                    "quarkus.otel.bsp.schedule.delay", "PT0.05S");
        }
    }

    /** Quarkus hands every {@code SpanExporter} bean the finished spans; the other tests run with tracing off. */
    @ApplicationScoped
    static class InMemorySpans {
        @Produces
        @Singleton
        InMemorySpanExporter exporter() {
            return InMemorySpanExporter.create();
        }
    }

    @Inject
    InMemorySpanExporter exporter;

    @Inject
    RelayConfig config;

    @BeforeEach
    void forgetEarlierSpans() {
        exporter.reset();
    }

    private String push(String sha) {
        return github("push", Fixtures.text(Fixtures.push("github-push-main", sha, Fixtures.nextPushTime())))
                .statusCode(202).extract().path("events[0]");
    }

    private Optional<SpanData> handlingOf(String eventId) {
        return exporter.getFinishedSpanItems().stream()
                .filter(span -> span.getName().equals(Spans.HANDLE_GIT_EVENT)
                        && eventId.equals(span.getAttributes().get(Spans.EVENT_ID)))
                .findFirst();
    }

    private List<SpanData> webhookSpans() {
        return exporter.getFinishedSpanItems().stream().filter(span -> span.getName().equals(SERVER_SPAN)).toList();
    }

    /**
     * Waits for the webhook's span and the span of the handling of {@code eventId} (which ends after the GitOps push),
     * checks they are in one trace, and returns that trace's spans by id.
     */
    private Map<String, SpanData> traceOfEvent(String eventId) {
        await().atMost(WAIT).alias("the webhook's span and the span of the handling of event " + eventId)
                .until(() -> handlingOf(eventId).isPresent() && !webhookSpans().isEmpty());
        SpanData handling = handlingOf(eventId).orElseThrow();
        List<SpanData> webhooks = webhookSpans();
        assertThat(webhooks).as("one webhook sent by this test").hasSize(1);
        assertThat(handling.getTraceId()).as("the trace of the handling of event %s", eventId)
                .isEqualTo(webhooks.get(0).getTraceId());
        return exporter.getFinishedSpanItems().stream().filter(span -> span.getTraceId().equals(handling.getTraceId()))
                .collect(Collectors.toMap(SpanData::getSpanId, Function.identity()));
    }

    private static SpanData only(Map<String, SpanData> trace, String name) {
        List<SpanData> named = trace.values().stream().filter(span -> span.getName().equals(name)).toList();
        assertThat(named).as("spans named '%s' in %s", name, names(trace.values())).hasSize(1);
        return named.get(0);
    }

    /** The span and its ancestors, nearest first, as far as the trace holds them. */
    private static List<SpanData> ancestry(Map<String, SpanData> trace, SpanData span) {
        List<SpanData> chain = new ArrayList<>();
        for (SpanData at = span; at != null; at = trace.get(at.getParentSpanId())) {
            chain.add(at);
        }
        return chain;
    }

    private static List<String> names(Iterable<SpanData> spans) {
        List<String> names = new ArrayList<>();
        spans.forEach(span -> names.add(span.getName()));
        return names;
    }

    @Test
    void theGitOpsPushDescendsFromTheWebhookThroughKafka() {
        String sha = Fixtures.sha();
        String eventId = push(sha);

        Map<String, SpanData> trace = traceOfEvent(eventId);

        SpanData gitopsPush = only(trace, Spans.GITOPS_PUSH);
        List<SpanData> chain = ancestry(trace, gitopsPush);
        assertThat(names(chain)).containsSubsequence(Spans.GITOPS_PUSH, Spans.HANDLE_GIT_EVENT,
                Topics.GIT_EVENTS + " receive", Spans.publish(Topics.GIT_EVENTS), SERVER_SPAN);
        SpanData root = chain.get(chain.size() - 1);
        assertThat(root.getName()).isEqualTo(SERVER_SPAN);
        assertThat(root.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(root.getParentSpanContext().isValid()).isFalse();
        assertThat(only(trace, Spans.publish(Topics.GIT_EVENTS)).getKind()).isEqualTo(SpanKind.PRODUCER);
        assertThat(only(trace, Topics.GIT_EVENTS + " receive").getKind()).isEqualTo(SpanKind.CONSUMER);

        SpanData handling = only(trace, Spans.HANDLE_GIT_EVENT);
        assertThat(handling.getAttributes().get(Spans.APP)).isEqualTo("demo");
        assertThat(ancestry(trace, only(trace, Spans.KUSTOMIZE_RENDER))).contains(handling);
        assertThat(gitopsPush.getAttributes().get(Spans.GITOPS_BRANCH)).isEqualTo("main");
        String pushed = git(config.dataDir(), "--git-dir=gitops.git", "rev-parse", "main").trim();
        assertThat(gitopsPush.getAttributes().get(Spans.GITOPS_COMMIT)).isEqualTo(pushed);
        assertThat(git(config.dataDir(), "--git-dir=gitops.git", "log", "-1", "--format=%B", pushed)).contains(sha);
    }

    @Test
    void aSendersUnsampledTraceAndBaggageNeitherSilenceTheRelayNorTravelWithItsEvents() {
        String sha = Fixtures.sha();
        byte[] body = Fixtures.text(Fixtures.push("github-push-main", sha, Fixtures.nextPushTime()))
                .getBytes(StandardCharsets.UTF_8);
        String eventId = io.restassured.RestAssured.given().contentType("application/json")
                .header("X-GitHub-Event", "push").header("X-GitHub-Delivery", java.util.UUID.randomUUID().toString())
                .header("X-Hub-Signature-256", "sha256=" + org.gitopsrelay.webhook.HmacSignature.sha256Hex(
                        RelayTestEnvironment.GITHUB_SECRET, body))
                .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
                .header("baggage", "user.email=alice%40example.org").body(body)
                .post("/webhooks/github").then().statusCode(202).extract().path("events[0]");

        Map<String, SpanData> trace = traceOfEvent(eventId);
        assertThat(trace.values()).extracting(SpanData::getName).contains(Spans.GITOPS_PUSH);
        ConsumerRecord<String, String> record;
        try (TopicReader events = new TopicReader(Topics.GIT_EVENTS)) {
            record = events.await(r -> r.value().contains(eventId), WAIT);
        }
        assertThat(record.headers().lastHeader("baggage")).as("baggage header").isNull();
    }

    @Test
    void noSpanCarriesTheIncomingWebhooksSecret() {
        String eventId = push(Fixtures.sha());
        traceOfEvent(eventId);
        await().atMost(WAIT).until(() -> !MattermostWebhookEnvironment.standIn.accepted(call -> call.path()
                .endsWith(WEBHOOK_KEY)).isEmpty());
        await().pollDelay(Duration.ofMillis(300)).atMost(WAIT).until(() -> true);
        List<String> leaking = exporter.getFinishedSpanItems().stream()
                .filter(span -> span.getAttributes().asMap().values().stream()
                        .anyMatch(value -> String.valueOf(value).contains(WEBHOOK_KEY))
                        || span.getEvents().stream().anyMatch(event -> event.getAttributes().asMap().values().stream()
                                .anyMatch(value -> String.valueOf(value).contains(WEBHOOK_KEY))))
                .map(SpanData::getName).toList();
        assertThat(exporter.getFinishedSpanItems()).isNotEmpty();
        assertThat(leaking).as("spans naming the webhook's secret").isEmpty();
    }

    @Test
    void theGitEventRecordCarriesTheTraceOfItsWebhook() {
        String eventId = push(Fixtures.sha());
        Map<String, SpanData> trace = traceOfEvent(eventId);

        ConsumerRecord<String, String> record;
        try (TopicReader events = new TopicReader(Topics.GIT_EVENTS)) {
            record = events.await(r -> r.value().contains(eventId), WAIT);
        }

        Header traceparent = record.headers().lastHeader("traceparent");
        assertThat(traceparent).as("traceparent header").isNotNull();
        String[] fields = new String(traceparent.value(), StandardCharsets.UTF_8).split("-");
        SpanData publish = only(trace, Spans.publish(Topics.GIT_EVENTS));
        assertThat(fields[1]).isEqualTo(only(trace, SERVER_SPAN).getTraceId());
        assertThat(fields[2]).isEqualTo(publish.getSpanId());
    }
}
