package org.gitopsrelay.pipeline;

import java.time.Duration;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.shared.Backoff;
import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayException.Reason;
import org.gitopsrelay.shared.RelayMetrics;
import org.gitopsrelay.tracing.Spans;
import org.jboss.logging.Logger;

import io.micrometer.core.instrument.MeterRegistry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.smallrye.reactive.messaging.annotations.Blocking;

/**
 * Consumes {@code relay.git-events}, one record at a time in partition order. The offset is committed only after
 * this method returns, that is after the GitOps push succeeded; a transient failure is retried a bounded number of
 * times, then the record goes to {@code relay.dead-letter} with its reason (the channel's failure strategy).
 */
@ApplicationScoped
public class GitEventConsumer {

    public static final String CHANNEL = "git-events";
    private static final Logger LOG = Logger.getLogger(GitEventConsumer.class);

    private final GitEventHandlers handlers;
    private final RelayConfig config;
    private final MeterRegistry metrics;
    private final Tracer tracer;

    @Inject
    public GitEventConsumer(GitEventHandlers handlers, RelayConfig config, MeterRegistry metrics, Tracer tracer) {
        this.handlers = handlers;
        this.config = config;
        this.metrics = metrics;
        this.tracer = tracer;
    }

    @Incoming(CHANNEL)
    @Blocking(ordered = true)
    public void consume(ConsumerRecord<String, String> record) {
        // The connector has made the record's receive span current here, itself a child of the trace context that
        // EventPublisher put in the headers: the handling, and the GitOps push in it, continue the webhook's trace.
        Span span = tracer.spanBuilder(Spans.HANDLE_GIT_EVENT).startSpan();
        try (Scope scope = span.makeCurrent()) {
            handle(record, span);
        } catch (RelayException e) {
            throw Spans.failed(span, e, e.reason().tag());
        } finally {
            span.end();
        }
    }

    private void handle(ConsumerRecord<String, String> record, Span span) {
        RelayEvent event;
        try {
            event = EventCodec.decode(record.value());
        } catch (IllegalArgumentException e) {
            throw deadLetter(record, new RelayException(Reason.UNREADABLE_EVENT, e.getMessage(), e));
        }
        span.setAttribute(Spans.EVENT_ID, event.id());
        span.setAttribute(Spans.EVENT_TYPE, event.type());
        span.setAttribute(Spans.APP, event.app());
        int maxAttempts = config.kafka().handlerAttempts();
        for (int attempt = 1;; attempt++) {
            try {
                handlers.handle(event);
                return;
            } catch (RelayException e) {
                if (!e.reason().retryable() || attempt >= maxAttempts) {
                    throw deadLetter(record, e);
                }
                metrics.counter(RelayMetrics.HANDLER_RETRIES, "reason", e.reason().tag()).increment();
                span.addEvent("retry", Attributes.of(Spans.ATTEMPT, (long) attempt));
                LOG.warnf("Event %s failed (attempt %d of %d), retrying: %s", event.id(), attempt, maxAttempts,
                        e.getMessage());
                pause(Backoff.jittered(attempt, config.kafka().handlerBackoff(), config.kafka().handlerMaxBackoff(),
                        java.util.concurrent.ThreadLocalRandom.current().nextDouble()));
            } catch (RuntimeException e) {
                throw deadLetter(record, new RelayException(Reason.INTERNAL, "Unexpected failure: " + e, e));
            }
        }
    }

    private RelayException deadLetter(ConsumerRecord<String, String> record, RelayException e) {
        metrics.counter(RelayMetrics.DEAD_LETTERS, "reason", e.reason().tag()).increment();
        LOG.errorf("Record %s-%d@%d goes to the dead-letter topic (%s): %s", record.topic(), record.partition(),
                record.offset(), e.reason().tag(), e.getMessage());
        return e;
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RelayException(Reason.GIT_UNAVAILABLE, "Interrupted while waiting to retry", e);
        }
    }
}
