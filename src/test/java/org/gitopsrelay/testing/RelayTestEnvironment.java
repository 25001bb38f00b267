package org.gitopsrelay.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A fresh data dir for a test application: the embedded Kafka broker starts in it (through the same config source
 * as in production) and the local GitOps repository is created and seeded there.
 */
public class RelayTestEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String GITHUB_SECRET = "It's a Secret to Everybody";
    public static final String API_TOKEN = "test-api-token-4f1c";
    /** The secret backup jobs sign their reports with. */
    public static final String BACKUP_SECRET = "backup-report-secret-91c2";
    /** A token with the read role, named {@code viewer}. */
    public static final String VIEWER_TOKEN = "viewer-token-7d2e9a1b";
    /** A token with the deploy role, named {@code releasebot}. */
    public static final String DEPLOYER_TOKEN = "releasebot-token-3c8f0e6a";

    private Path dataDir;

    @Override
    public Map<String, String> start() {
        try {
            dataDir = Files.createTempDirectory("relay-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.ofEntries(
                Map.entry("relay.data-dir", dataDir.toString()),
                Map.entry("relay.webhook.github.secret", GITHUB_SECRET),
                Map.entry("relay.webhook.backup.secret", BACKUP_SECRET),
                Map.entry("relay.gitops.retry-backoff", "PT0.01S"),
                Map.entry("relay.webhook.max-body-bytes", "65536"),
                Map.entry("relay.api.token", API_TOKEN),
                Map.entry("relay.api.tokens.viewer.token", VIEWER_TOKEN),
                Map.entry("relay.api.tokens.viewer.role", "read"),
                Map.entry("relay.api.tokens.releasebot.token", DEPLOYER_TOKEN),
                Map.entry("relay.api.tokens.releasebot.role", "deploy"),
                // Minutes of retries in production; a test's transient failure is retried briefly.
                Map.entry("relay.kafka.handler-attempts", "3"),
                Map.entry("relay.kafka.handler-backoff", "PT0.2S"),
                Map.entry("relay.kafka.handler-max-backoff", "PT0.8S"));
    }

    @Override
    public void stop() {
        if (dataDir == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dataDir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // A leftover temp folder is not worth failing the suite for.
        }
    }
}
