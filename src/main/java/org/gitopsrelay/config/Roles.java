package org.gitopsrelay.config;

import java.util.Set;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

/** The roles this process runs, read once from {@code relay.roles}. */
@ApplicationScoped
public class Roles {

    private final Set<Role> roles;

    @Inject
    public Roles(RelayConfig config) {
        Set<Role> parsed;
        try {
            parsed = Role.parse(config.roles());
        } catch (IllegalArgumentException e) {
            // ConfigCheck stops the start with this message; until then nothing runs.
            parsed = Set.of();
        }
        this.roles = parsed;
    }

    public boolean runs(Role role) {
        return roles.contains(role);
    }

    public Set<Role> all() {
        return roles;
    }
}
