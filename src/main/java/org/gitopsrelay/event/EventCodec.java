package org.gitopsrelay.event;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

/** JSON of events: one mapper, set up once, usable without CDI. */
public final class EventCodec {

    public static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private EventCodec() {
    }

    public static String encode(RelayEvent event) {
        try {
            return JSON.writeValueAsString(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cannot write event " + event.id(), e);
        }
    }

    public static RelayEvent decode(String json) {
        try {
            RelayEvent event = JSON.readValue(json, RelayEvent.class);
            if (event.id() == null || event.type() == null || event.subject() == null) {
                throw new IllegalArgumentException("not a relay event: id, type and subject are required");
            }
            return event;
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a relay event: " + e.getOriginalMessage(), e);
        }
    }

    public static JsonNode toData(Object value) {
        return JSON.valueToTree(value);
    }

    public static <T> T fromData(RelayEvent event, Class<T> type) {
        try {
            return JSON.treeToValue(event.data(), type);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException("event " + event.id() + " of type " + event.type()
                    + " has unreadable data: " + e.getMessage(), e);
        }
    }

    /** The git change a git event carries. */
    public static GitChange gitChange(RelayEvent event) {
        return switch (event.type()) {
            case EventTypes.GIT_PUSH -> fromData(event, GitChange.Push.class);
            case EventTypes.GIT_REF_CREATED -> fromData(event, GitChange.RefCreated.class);
            case EventTypes.GIT_REF_DELETED -> fromData(event, GitChange.RefDeleted.class);
            case EventTypes.GIT_PULL_REQUEST -> fromData(event, GitChange.PullRequest.class);
            default -> throw new IllegalArgumentException("not a git event type: " + event.type());
        };
    }

    /** The action an event on relay.git-events carries, when it is one (not a git change). */
    public static java.util.Optional<EnvironmentAction> action(RelayEvent event) {
        return EnvironmentAction.classOf(event.type()).map(type -> fromData(event, type));
    }

    /**
     * The outcome an event on relay.deployments carries; empty for a type this version does not publish (a newer
     * producer's), which readers skip.
     */
    public static java.util.Optional<OutcomeEvent> outcome(RelayEvent event) {
        java.util.Optional<OutcomeEvent> outcome = OutcomeEvent.classOf(event.type()).map(type -> fromData(event,
                type));
        outcome.ifPresent(data -> {
            boolean incomplete = data instanceof OutcomeEvent.PreviewEvent preview ? preview.preview() == null
                    || preview.preview().app() == null || preview.preview().slug() == null : data.app() == null;
            if (incomplete) {
                throw new IllegalArgumentException("event " + event.id() + " of type " + event.type()
                        + " lacks the app it is about (data.app, or data.preview.app and slug)");
            }
        });
        return outcome;
    }

    /** A stable id from the parts that identify an event, so that a redelivery gets the same id. */
    public static String stableId(String... parts) {
        return UUID.nameUUIDFromBytes(String.join("\u0000", parts).getBytes(StandardCharsets.UTF_8)).toString();
    }
}
