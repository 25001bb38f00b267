package org.gitopsrelay.tracing;

import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.header.Headers;

import io.opentelemetry.context.propagation.TextMapSetter;

/**
 * Kafka record headers as a carrier of the W3C trace context ({@code traceparent}, {@code tracestate},
 * {@code baggage}), the format the Kafka connector reads on the consumer's side.
 */
public final class KafkaHeaders {

    /** Replaces rather than adds: a record sent again (a retry, a replay) must not carry two parents. */
    public static final TextMapSetter<Headers> SETTER = (headers, key, value) -> {
        if (headers != null) {
            headers.remove(key);
            headers.add(key, value.getBytes(StandardCharsets.UTF_8));
        }
    };

    private KafkaHeaders() {
    }
}
