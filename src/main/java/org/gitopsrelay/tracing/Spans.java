package org.gitopsrelay.tracing;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

/**
 * Names of the spans the service makes and of their attributes, in one place for the code and the tests. Span names
 * stay few (no ids in them); what tells one span from another goes in attributes.
 */
public final class Spans {

    public static final String HANDLE_GIT_EVENT = "handle git event";
    public static final String KUSTOMIZE_RENDER = "kustomize render";
    public static final String GITOPS_FETCH = "gitops fetch";
    public static final String GITOPS_PUSH = "gitops push";

    public static final AttributeKey<String> EVENT_ID = AttributeKey.stringKey("relay.event.id");
    public static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("relay.event.type");
    public static final AttributeKey<String> APP = AttributeKey.stringKey("relay.app");
    /** A plain name, for {@code @SpanAttribute}. */
    public static final String OVERLAY = "relay.overlay";
    /** On a render span: true when an earlier render of the same files but for the tag stood in for it. */
    public static final String RENDER_REUSED = "relay.render.reused";
    public static final AttributeKey<String> GITOPS_BRANCH = AttributeKey.stringKey("relay.gitops.branch");
    public static final AttributeKey<String> GITOPS_COMMIT = AttributeKey.stringKey("relay.gitops.commit");
    /** Set on a push the remote turned down because another writer pushed first: a fetch and a retry follow. */
    public static final AttributeKey<Boolean> GITOPS_REJECTED = AttributeKey.booleanKey("relay.gitops.rejected");
    public static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("relay.attempt");

    // The messaging conventions of OpenTelemetry, as the Kafka connector sets them on the consumer's side.
    public static final AttributeKey<String> MESSAGING_SYSTEM = AttributeKey.stringKey("messaging.system");
    public static final AttributeKey<String> MESSAGING_DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    public static final AttributeKey<String> MESSAGING_OPERATION = AttributeKey.stringKey("messaging.operation");
    public static final AttributeKey<Long> MESSAGING_BATCH_COUNT = AttributeKey.longKey("messaging.batch.message_count");

    private Spans() {
    }

    /** Marks the span failed with the error and its reason tag; returns the error, to be thrown. */
    public static <E extends Throwable> E failed(Span span, E error, String reason) {
        span.recordException(error);
        span.setStatus(StatusCode.ERROR, reason);
        return error;
    }

    /** The producer span's name, as the messaging conventions spell it: destination, then operation. */
    public static String publish(String topic) {
        return topic + " publish";
    }
}
