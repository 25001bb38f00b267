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

    private Path dataDir;

    @Override
    public Map<String, String> start() {
        try {
            dataDir = Files.createTempDirectory("relay-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of(
                "relay.data-dir", dataDir.toString(),
                "relay.webhook.github.secret", GITHUB_SECRET,
                "relay.gitops.retry-backoff", "PT0.01S",
                "relay.webhook.max-body-bytes", "65536",
                "relay.api.token", API_TOKEN,
                // Minutes of retries in production; a test's transient failure is retried briefly.
                "relay.kafka.handler-attempts", "3",
                "relay.kafka.handler-backoff", "PT0.2S",
                "relay.kafka.handler-max-backoff", "PT0.8S");
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
