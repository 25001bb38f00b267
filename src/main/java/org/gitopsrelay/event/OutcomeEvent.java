package org.gitopsrelay.event;

import java.time.Instant;
import java.util.Optional;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * What the relay did, as published on {@code relay.deployments}: one record per CloudEvents type, carried as the
 * event's {@code data}, whose subject is the app. docs/events.md lists each with an example taken from a real record.
 */
public sealed interface OutcomeEvent {

    /** The app the event is about: the CloudEvents subject and the Kafka key. */
    String app();

    /** CloudEvents type of this event. */
    String type();

    /** The id of the event that caused this one (the git event, or the sweep); null for registry events. */
    String triggerEvent();

    /** Milliseconds spent in each step of a deployment, over all attempts. */
    record Timings(long fetchMillis, long renderMillis, long commitMillis, long pushMillis, long totalMillis,
            int attempts) {
    }

    /**
     * An environment now runs {@code image}: the GitOps commit is pushed. {@code committedAt} is the time of the
     * oldest source commit the push brought (the start of DORA lead time); {@code acceptedAt} is when the webhook
     * was accepted.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeploymentCommitted(String app, String environment, String image, String sourceRepository,
            String sourceRef, String sourceCommit, Instant committedAt, String pusher, String gitopsCommit,
            String triggerEvent, Instant acceptedAt, Timings timings) implements OutcomeEvent {
        @Override
        public String type() {
            return EventTypes.DEPLOYMENT_COMMITTED;
        }
    }

    /** A push could not be deployed; nothing was committed. {@code reason} is a {@code RelayException} tag. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeploymentFailed(String app, String environment, String image, String sourceRepository, String sourceRef,
            String sourceCommit, Instant committedAt, String pusher, String triggerEvent, Instant acceptedAt,
            String reason, String error) implements OutcomeEvent {
        @Override
        public String type() {
            return EventTypes.DEPLOYMENT_FAILED;
        }
    }

    /**
     * An environment was returned to {@code image}, which it ran before, from {@code fromImage}: the GitOps commit is
     * pushed. A change failure for DORA (the version rolled back from failed), and a deployment.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeploymentRolledBack(String app, String environment, String image, String fromImage, String sourceCommit,
            String requestedBy, String gitopsCommit, String triggerEvent) implements OutcomeEvent {
        @Override
        public String type() {
            return EventTypes.DEPLOYMENT_ROLLEDBACK;
        }
    }

    /** An environment's pods restart: its overlay's restart annotation is {@code restartedAt}, and pushed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record DeploymentRestarted(String app, String environment, String image, Instant restartedAt, String requestedBy,
            String gitopsCommit, String triggerEvent) implements OutcomeEvent {
        @Override
        public String type() {
            return EventTypes.DEPLOYMENT_RESTARTED;
        }
    }

    /** Shared by the preview events: the preview is in {@code preview}, as {@code GET /api/previews} shows it. */
    sealed interface PreviewEvent extends OutcomeEvent {
        Preview preview();

        @Override
        default String app() {
            return preview().app();
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PreviewCreated(Preview preview, String gitopsCommit, String triggerEvent) implements PreviewEvent {
        @Override
        public String type() {
            return EventTypes.PREVIEW_CREATED;
        }
    }

    /** The preview moved to a new head commit; its expiry was renewed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PreviewUpdated(Preview preview, String gitopsCommit, String triggerEvent) implements PreviewEvent {
        @Override
        public String type() {
            return EventTypes.PREVIEW_UPDATED;
        }
    }

    /** The pull request was closed (merged or not) or the branch deleted: the preview's folder is removed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PreviewDeleted(Preview preview, String gitopsCommit, String triggerEvent, String reason)
            implements PreviewEvent {
        @Override
        public String type() {
            return EventTypes.PREVIEW_DELETED;
        }
    }

    /** The preview outlived its expiry with no new push: the sweep removed it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PreviewExpired(Preview preview, String gitopsCommit, String triggerEvent, String reason)
            implements PreviewEvent {
        @Override
        public String type() {
            return EventTypes.PREVIEW_EXPIRED;
        }
    }

    /** A preview was not created or moved (the cap, a policy, a render): nothing committed, the reason says why. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record PreviewRefused(Preview preview, String triggerEvent, String reason) implements PreviewEvent {
        @Override
        public String type() {
            return EventTypes.PREVIEW_REFUSED;
        }
    }

    /** The app's app.yaml cannot be used as of {@code gitopsCommit}; the app is left out until it is fixed. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record AppInvalid(String app, String problems, String gitopsCommit) implements OutcomeEvent {
        @Override
        public String type() {
            return EventTypes.APP_INVALID;
        }

        @Override
        public String triggerEvent() {
            return null;
        }
    }

    /** The record class of a CloudEvents type; empty for a type this version does not publish. */
    static Optional<Class<? extends OutcomeEvent>> classOf(String type) {
        return Optional.ofNullable(switch (type) {
            case EventTypes.DEPLOYMENT_COMMITTED -> DeploymentCommitted.class;
            case EventTypes.DEPLOYMENT_FAILED -> DeploymentFailed.class;
            case EventTypes.DEPLOYMENT_ROLLEDBACK -> DeploymentRolledBack.class;
            case EventTypes.DEPLOYMENT_RESTARTED -> DeploymentRestarted.class;
            case EventTypes.PREVIEW_CREATED -> PreviewCreated.class;
            case EventTypes.PREVIEW_UPDATED -> PreviewUpdated.class;
            case EventTypes.PREVIEW_DELETED -> PreviewDeleted.class;
            case EventTypes.PREVIEW_EXPIRED -> PreviewExpired.class;
            case EventTypes.PREVIEW_REFUSED -> PreviewRefused.class;
            case EventTypes.APP_INVALID -> AppInvalid.class;
            default -> null;
        });
    }
}
