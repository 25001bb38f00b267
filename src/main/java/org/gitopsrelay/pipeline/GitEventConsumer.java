package org.gitopsrelay.pipeline;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.gitopsrelay.config.RelayConfig;
import org.gitopsrelay.event.EventCodec;
import org.gitopsrelay.event.RelayEvent;
import org.gitopsrelay.pipeline.GitEventHandlers.Handled;
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
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.smallrye.reactive.messaging.TracingMetadata;
import io.smallrye.reactive.messaging.annotations.Blocking;
import io.smallrye.reactive.messaging.kafka.IncomingKafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecord;
import io.smallrye.reactive.messaging.kafka.KafkaRecordBatch;

/**
 * Consumes {@code relay.git-events} in batches: whatever is waiting when the previous batch is done, up to
 * {@code max.poll.records}, so a batch grows with the load by itself. The batch's offsets are committed only after
 * this method is done, that is after the GitOps push of the batch succeeded. An event that fails for a reason that
 * may pass is handled again (with its app's later events) up to {@code relay.kafka.handler-attempts} times; an event
 * that cannot succeed, or runs out of attempts, goes to {@code relay.dead-letter} with its reason, record by record,
 * as the connector's failure strategy writes it.
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
    public CompletionStage<Void> consume(KafkaRecordBatch<String, String> batch) {
        List<KafkaRecord<String, String>> records = batch.getRecords();
        metrics.summary(RelayMetrics.BATCH_SIZE).record(records.size());
        // Each record gets its handling span, a child of its receive span (and so of the webhook's trace); the batch's
        // shared work (renders, the GitOps push) runs in the first one's, which the others link to.
        List<Span> spans = new ArrayList<>(records.size());
        for (KafkaRecord<String, String> record : records) {
            Context parent = record.getMetadata(TracingMetadata.class).map(TracingMetadata::getCurrentContext)
                    .orElse(Context.current());
            var builder = tracer.spanBuilder(Spans.HANDLE_GIT_EVENT).setParent(parent)
                    .setAttribute(Spans.MESSAGING_BATCH_COUNT, (long) records.size());
            if (!spans.isEmpty()) {
                builder.addLink(spans.get(0).getSpanContext());
            }
            spans.add(builder.startSpan());
        }
        try (Scope scope = spans.get(0).makeCurrent()) {
            handle(records, spans);
        } finally {
            spans.forEach(Span::end);
        }
        return batch.ack();
    }

    /**
     * Handles the batch until every record is done or due for the dead-letter topic; the dead letters are written last,
     * in Kafka's order, once nothing else of the batch is pending: writing one acknowledges its record, and in a batch
     * that commits its partition's offset, which must not happen while an earlier record of it is still being tried.
     * Retries are counted per app, not per event: events held behind a failing one share its budget, so a batch takes
     * at most one budget per app however many events wait behind.
     */
    private void handle(List<KafkaRecord<String, String>> records, List<Span> spans) {
        Map<Integer, RelayEvent> pending = new LinkedHashMap<>();
        Map<Integer, RelayException> deadLetters = new TreeMap<>();
        for (int i = 0; i < records.size(); i++) {
            try {
                RelayEvent event = EventCodec.decode(records.get(i).getPayload());
                spans.get(i).setAttribute(Spans.EVENT_ID, event.id());
                spans.get(i).setAttribute(Spans.EVENT_TYPE, event.type());
                spans.get(i).setAttribute(Spans.APP, event.app());
                pending.put(i, event);
            } catch (RuntimeException e) {
                deadLetters.put(i, new RelayException(Reason.UNREADABLE_EVENT, e.getMessage(), e));
            }
        }
        int maxAttempts = config.kafka().handlerAttempts();
        Map<String, Integer> attemptsByApp = new HashMap<>();
        while (!pending.isEmpty()) {
            List<Integer> indexes = new ArrayList<>(pending.keySet());
            List<Handled> results = handleAll(new ArrayList<>(pending.values()));
            // One attempt per app and round, however many of its events failed in it.
            Set<String> failedApps = new HashSet<>();
            for (int k = 0; k < indexes.size(); k++) {
                if (results.get(k) instanceof Handled.Failed failed && failed.error().reason().retryable()) {
                    failedApps.add(pending.get(indexes.get(k)).app());
                }
            }
            failedApps.forEach(app -> attemptsByApp.merge(app, 1, Integer::sum));
            Map<Integer, RelayEvent> again = new LinkedHashMap<>();
            int retrying = 0;
            for (int k = 0; k < indexes.size(); k++) {
                int i = indexes.get(k);
                RelayEvent event = pending.get(i);
                Handled handled = results.get(k);
                if (handled instanceof Handled.Held held) {
                    LOG.infof("Event %s of app %s waits for event %s, which failed before it, to be retried first",
                            event.id(), event.app(), held.behind());
                    again.put(i, event);
                } else if (handled instanceof Handled.Failed failed) {
                    RelayException e = failed.error();
                    int tried = attemptsByApp.getOrDefault(event.app(), 1);
                    if (!e.reason().retryable() || tried >= maxAttempts) {
                        deadLetters.put(i, e);
                        continue;
                    }
                    metrics.counter(RelayMetrics.HANDLER_RETRIES, "reason", e.reason().tag()).increment();
                    spans.get(i).addEvent("retry", Attributes.of(Spans.ATTEMPT, (long) tried));
                    LOG.warnf("Event %s failed (attempt %d of %d for app %s), retrying: %s", event.id(), tried,
                            maxAttempts, event.app(), e.getMessage());
                    retrying = Math.max(retrying, tried);
                    again.put(i, event);
                }
            }
            if (retrying > 0) {
                pause(Backoff.jittered(retrying, config.kafka().handlerBackoff(), config.kafka().handlerMaxBackoff(),
                        ThreadLocalRandom.current().nextDouble()));
            }
            pending = again;
        }
        deadLetters.forEach((i, e) -> deadLetter(records.get(i), spans.get(i), e));
    }

    /** What became of each event; a failure that escapes the handlers (a defect) fails them all, to be tried again. */
    private List<Handled> handleAll(List<RelayEvent> events) {
        try {
            return handlers.handleAll(events);
        } catch (RuntimeException e) {
            RelayException failure = RelayException.of(e);
            LOG.errorf(e, "Handling a batch of %d events failed as a whole", events.size());
            return java.util.Collections.nCopies(events.size(), new Handled.Failed(failure));
        }
    }

    /** Sends the record to the dead-letter topic, with its reason, and waits until Kafka has it. */
    private void deadLetter(KafkaRecord<String, String> record, Span span, RelayException e) {
        metrics.counter(RelayMetrics.DEAD_LETTERS, "reason", e.reason().tag()).increment();
        Spans.failed(span, e, e.reason().tag());
        LOG.errorf("Record %s-%d@%d goes to the dead-letter topic (%s): %s", record.getTopic(), record.getPartition(),
                record.unwrap(IncomingKafkaRecord.class).getOffset(), e.reason().tag(), e.getMessage());
        // If Kafka cannot take the dead letter, this throws: the channel stops (liveness goes down) with the batch
        // uncommitted from this record on, and after a restart the batch comes back; each event finds its own
        // change already done.
        record.nack(e).toCompletableFuture().join();
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
