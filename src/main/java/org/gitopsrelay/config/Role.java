package org.gitopsrelay.config;

import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The parts of the service a process can run ({@code relay.roles}). One image is deployed once per role and each
 * scales on its own; Kafka consumer groups share the work between the replicas of a role.
 */
public enum Role {
    /** The webhook endpoints and the operations API. */
    INGEST(List.of()),
    /** The handlers of relay.git-events, and the preview sweep. */
    HANDLERS(List.of("git-events")),
    /** Prometheus metrics from relay.deployments (DORA's among them) and relay.backups. */
    MONITOR(List.of("deployments-monitor", "backups-monitor")),
    /** Mattermost (or log) notifications from relay.deployments. */
    NOTIFIER(List.of("deployments-notifier", "notifier-replay"));

    private final List<String> channels;

    Role(List<String> channels) {
        this.channels = channels;
    }

    /** The incoming channels that run only in this role. */
    public List<String> channels() {
        return channels;
    }

    public String key() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * Reads a comma-separated list of roles; an unknown name is an error that names the known ones, so that a typo
     * never starts a process that silently does nothing.
     */
    public static Set<Role> parse(String text) {
        Set<Role> roles = EnumSet.noneOf(Role.class);
        for (String part : text.split(",")) {
            String name = part.trim().toLowerCase(Locale.ROOT);
            if (name.isEmpty()) {
                continue;
            }
            roles.add(Arrays.stream(values()).filter(role -> role.key().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("relay.roles: unknown role '" + name
                            + "'; the roles are " + Arrays.stream(values()).map(Role::key)
                                    .collect(Collectors.joining(", ")))));
        }
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("relay.roles is empty: name at least one of "
                    + Arrays.stream(values()).map(Role::key).collect(Collectors.joining(", ")));
        }
        return roles;
    }
}
