package org.gitopsrelay.event;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * An action a person (or a bot) asked for through the API, carried on {@code relay.git-events} keyed by app, so that
 * it is applied in order with the pushes of the same app and, like them, retried, dead-lettered and replayed.
 * {@code requestedBy} is the name of the API token that asked.
 */
public sealed interface EnvironmentAction {

    String app();

    String requestedBy();

    /** The environment whose overlay the action changes. */
    @JsonIgnore
    String target();

    @JsonIgnore
    String type();

    /**
     * The tag the target environment ran when the API accepted the action (null: none yet). The action is refused
     * when the environment has changed since: it was asked for on what the person saw, not on what came after.
     */
    String basis();

    /** Asked to act on a frozen environment anyway. */
    boolean override();

    /** Deploy the exact image {@code from} runs to {@code to}. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Promote(String app, String from, String to, String basis, boolean override, String requestedBy)
            implements EnvironmentAction {
        @Override
        public String target() {
            return to;
        }

        @Override
        public String type() {
            return EventTypes.PROMOTION_REQUESTED;
        }
    }

    /**
     * Return {@code environment} to an image it ran before: {@code tag} when given (it must be in the overlay's
     * history), else the last one before the current.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Rollback(String app, String environment, String tag, String basis, boolean override,
            String requestedBy) implements EnvironmentAction {
        @Override
        public String target() {
            return environment;
        }

        @Override
        public String type() {
            return EventTypes.ROLLBACK_REQUESTED;
        }
    }

    /**
     * Restart {@code environment}'s pods: a {@code gitops-relay.io/restarted-at} annotation on its Deployments' pod
     * template, set to {@code at} (when the API accepted the request, so that every attempt writes the same).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Restart(String app, String environment, java.time.Instant at, boolean override, String requestedBy)
            implements EnvironmentAction {
        /** A restart leaves the image as it is: whatever runs then is restarted. */
        @Override
        public String basis() {
            return null;
        }

        @Override
        public String target() {
            return environment;
        }

        @Override
        public String type() {
            return EventTypes.RESTART_REQUESTED;
        }
    }

    /** The action an event of one of these types carries; empty for any other type. */
    static java.util.Optional<Class<? extends EnvironmentAction>> classOf(String type) {
        return java.util.Optional.ofNullable(switch (type) {
            case EventTypes.PROMOTION_REQUESTED -> Promote.class;
            case EventTypes.ROLLBACK_REQUESTED -> Rollback.class;
            case EventTypes.RESTART_REQUESTED -> Restart.class;
            default -> null;
        });
    }
}
