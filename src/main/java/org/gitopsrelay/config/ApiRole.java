package org.gitopsrelay.config;

/**
 * What a bearer of an API token may do ({@code relay.api.tokens.<name>.role}); each role may do what the ones
 * before it may.
 */
public enum ApiRole {
    /** Read apps, environments, previews, history. */
    READ,
    /** Also act on environments: promote, roll back, restart, freeze. */
    DEPLOY,
    /** Also operate the relay: dead letters and their replay. The single {@code relay.api.token} is this role. */
    ADMIN;

    public boolean allows(ApiRole needed) {
        return compareTo(needed) >= 0;
    }
}
