package org.gitopsrelay.webhook;

import java.util.Map;
import java.util.function.Supplier;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import org.gitopsrelay.shared.RelayException;
import org.gitopsrelay.shared.RelayMetrics;
import org.jboss.logging.Logger;

import com.fasterxml.jackson.databind.JsonNode;

import io.micrometer.core.instrument.MeterRegistry;

/** Turns what a webhook did into its HTTP answer, a log line for refusals, and the deliveries metric. */
@ApplicationScoped
public class WebhookOutcomes {

    private static final Logger LOG = Logger.getLogger(WebhookOutcomes.class);

    private final MeterRegistry metrics;

    @Inject
    public WebhookOutcomes(MeterRegistry metrics) {
        this.metrics = metrics;
    }

    /** The answer of a ping: 200, never an event. */
    record Pong(String pong) {
    }

    static Object pong(JsonNode body) {
        return new Pong(body.path("zen").asText("pong"));
    }

    Response record(String provider, Supplier<Object> work) {
        try {
            Object answer = work.get();
            if (answer instanceof Pong) {
                count(provider, "ping");
                return Response.ok(answer, MediaType.APPLICATION_JSON_TYPE).build();
            }
            WebhookAnswer accepted = (WebhookAnswer) answer;
            count(provider, accepted.events() == null ? "ignored" : "accepted");
            return Response.accepted(accepted).type(MediaType.APPLICATION_JSON_TYPE).build();
        } catch (RelayException e) {
            count(provider, e.reason().tag());
            if (e.reason().retryable()) {
                LOG.warnf("%s webhook answered %d: %s", provider, e.reason().httpStatus(), e.getMessage());
            } else {
                LOG.infof("%s webhook refused with %d: %s", provider, e.reason().httpStatus(), e.getMessage());
            }
            Response.ResponseBuilder refusal = Response.status(e.reason().httpStatus())
                    .entity(Map.of("error", e.getMessage(), "reason", e.reason().tag()))
                    .type(MediaType.APPLICATION_JSON_TYPE);
            e.retryAfter().ifPresent(after -> refusal.header("Retry-After",
                    String.valueOf(Math.max(1, (after.toMillis() + 999) / 1000))));
            return refusal.build();
        }
    }

    private void count(String provider, String outcome) {
        metrics.counter(RelayMetrics.WEBHOOK_DELIVERIES, "provider", provider, "outcome", outcome).increment();
    }
}
