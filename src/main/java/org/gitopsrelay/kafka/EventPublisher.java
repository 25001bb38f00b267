package org.gitopsrelay.kafka;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.event.Topics;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.tracing.KafkaHeaders;
import org.gitopsrelay.tracing.Spans;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;

/**
 * Writes events to Kafka and waits for the broker's acknowledgement: a webhook is answered, and an offset
 * committed, only once what it produced is durably written (acks=all, idempotent producer). Each record carries the
 * trace context of its publish span in its headers, so that whoever consumes it continues the same trace: this raw
 * producer is not instrumented by the Kafka connector, which only traces its own channels.
 */
@ApplicationScoped
public class EventPublisher {

    private final MeterRegistry metrics;
    private final Duration sendTimeout;
    private final KafkaProducer<String, String> producer;
    private final OpenTelemetry telemetry;
    private final Tracer tracer;

    @Inject
    public EventPublisher(RelayConfig config, MeterRegistry metrics,
            KafkaClientConfig kafka, OpenTelemetry telemetry,
            Tracer tracer) {
        this.metrics = metrics;
        this.telemetry = telemetry;
        this.tracer = tracer;
        this.sendTimeout = config.kafka().sendTimeout();
        Map<String, Object> props = kafka.with(Map.of());
        props.put(ProducerConfig.CLIENT_ID_CONFIG, "gitops-relay-publisher");
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        int timeout = (int) sendTimeout.toMillis();
        props.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, timeout);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, timeout);
        this.producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    /** Writes each event to {@code topic}, keyed by its app, and returns once all are acknowledged. */
    public void publish(String topic, List<RelayEvent> events) {
        send(topic, events.stream()
                .map(event -> new ProducerRecord<>(topic, event.app(), EventCodec.encode(event))).toList());
    }

    public void publish(String topic, RelayEvent event) {
        publish(topic, List.of(event));
    }

    /** Writes a record as it is (a key and its value on a compacted topic) and waits for its acknowledgement. */
    public void forward(String topic, String key, String value) {
        send(topic, List.of(new ProducerRecord<>(topic, key, value)));
    }

    /**
     * Writes a record that could not be handled to {@code relay.dead-letter} with the headers replay reads:
     * {@code dead-letter-topic} is where a replay sends it back.
     */
    public void deadLetter(String replayTopic, String key, String value, RelayException cause) {
        ProducerRecord<String, String> record = new ProducerRecord<>(Topics.DEAD_LETTER, key, value);
        record.headers().add("dead-letter-topic", replayTopic.getBytes(StandardCharsets.UTF_8));
        record.headers().add("dead-letter-reason", (cause.reason().tag() + ": " + cause.getMessage())
                .getBytes(StandardCharsets.UTF_8));
        send(Topics.DEAD_LETTER, List.of(record));
    }

    private void send(String topic, List<ProducerRecord<String, String>> records) {
        Timer.Sample sample = Timer.start(metrics);
        String outcome = "failed";
        Span span = tracer.spanBuilder(Spans.publish(topic)).setSpanKind(SpanKind.PRODUCER)
                .setAttribute(Spans.MESSAGING_SYSTEM, "kafka")
                .setAttribute(Spans.MESSAGING_DESTINATION, topic)
                .setAttribute(Spans.MESSAGING_OPERATION, "publish")
                .setAttribute(Spans.MESSAGING_BATCH_COUNT, (long) records.size())
                .startSpan();
        try (Scope scope = span.makeCurrent()) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            long deadline = System.nanoTime() + sendTimeout.toNanos();
            for (ProducerRecord<String, String> record : records) {
                telemetry.getPropagators().getTextMapPropagator().inject(Context.current(), record.headers(),
                        KafkaHeaders.SETTER);
                sent.add(producer.send(record));
            }
            for (Future<RecordMetadata> future : sent) {
                future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            }
            outcome = "ok";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw failed(span, unavailable(topic, e));
        } catch (ExecutionException e) {
            throw failed(span, refusedOrUnavailable(topic, e.getCause()));
        } catch (TimeoutException | org.apache.kafka.common.KafkaException e) {
            throw failed(span, unavailable(topic, e));
        } finally {
            span.end();
            sample.stop(metrics.timer(RelayMetrics.KAFKA_SEND, "topic", topic, "outcome", outcome));
        }
    }

    private static RelayException failed(Span span, RelayException e) {
        return Spans.failed(span, e, e.reason().tag());
    }

    /**
     * A broker that cannot be reached may be back soon; one that answers "not allowed" or "too large" will say so
     * again: that is not an outage to wait out, and is reported as such.
     */
    private RelayException refusedOrUnavailable(String topic, Throwable cause) {
        if (isRefusal(cause)) {
            return new RelayException(Reason.KAFKA_REFUSED, "Kafka refused the write to " + topic + ": " + cause, cause);
        }
        return unavailable(topic, cause);
    }

    static boolean isRefusal(Throwable cause) {
        return cause instanceof org.apache.kafka.common.KafkaException
                && !(cause instanceof org.apache.kafka.common.errors.RetriableException)
                && !(cause instanceof org.apache.kafka.common.errors.TimeoutException);
    }

    private RelayException unavailable(String topic, Throwable cause) {
        return new RelayException(Reason.KAFKA_UNAVAILABLE, "Kafka did not acknowledge the write to " + topic
                + " within " + sendTimeout.toMillis() + " ms: " + cause, cause);
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
