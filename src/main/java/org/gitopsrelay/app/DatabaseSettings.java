package org.gitopsrelay.app;

/**
 * The app's database ({@code database:} in app.yaml). Each preview then gets its own PostgreSQL, seeded from
 * staging's latest backup found in {@code backups} (a folder the seed Job mounts).
 */
public record DatabaseSettings(String engine, String backups) {

    public static final String POSTGRESQL = "postgresql";
    public static final String DEFAULT_BACKUPS = "/backups";
}
