package org.gitopsrelay.event;

import java.time.Instant;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * A CloudEvents 1.0 event in structured JSON mode: the value of every record on the relay topics. The Kafka key is
 * the app, which is also the {@code subject}.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RelayEvent(String specversion, String id, String source, String type, String subject, Instant time,
        String datacontenttype, JsonNode data) {

    public static RelayEvent of(String id, String source, String type, String app, Instant time, JsonNode data) {
        return new RelayEvent("1.0", id, source, type, app, time, "application/json", data);
    }

    /** An outcome event, with its type, subject and data taken from the record. */
    public static RelayEvent of(String id, String source, Instant time, OutcomeEvent outcome) {
        return of(id, source, outcome.type(), outcome.app(), time, EventCodec.toData(outcome));
    }

    public String app() {
        return subject;
    }
}
