package org.gitopsrelay.gitops;

import static org.gitopsrelay.testing.GitCli.git;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import org.gitopsrelay.testing.GitHttpServer;
import org.gitopsrelay.testing.TestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.opentelemetry.api.OpenTelemetry;

/**
 * Not part of the suite (its name matches no test pattern): run by {@code bench/optimistic.sh}. Applies changes one
 * after the other to a GitOps remote served over smart HTTP with a latency added to every request (a Git host across
 * a network), once fetching before each change ({@code relay.gitops.max-staleness=PT0S}, as before optimistic
 * writes) and once planning on the cache ({@code PT10S}), and prints the median and p90 per change.
 */
class OptimisticWritesBench {

    private static final int CHANGES = Integer.getInteger("bench.changes", 30);
    private static final Duration LATENCY = Duration.parse(System.getProperty("bench.latency", "PT0.05S"));
    private static final String TOKEN = "bench-token";

    @TempDir
    Path tmp;

    @Test
    void changesWithAndWithoutAFetchFirstOverASlowRemote() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("git"));
        git(root, "init", "-q", "--bare", "-b", "main", "gitops.git");
        git(root.resolve("gitops.git"), "config", "http.receivepack", "true");
        try (GitHttpServer server = new GitHttpServer(root, "x-access-token", TOKEN)) {
            server.addLatency(LATENCY);
            for (String staleness : List.of("PT0S", "PT10S")) {
                List<Long> nanos = run(server.url("gitops.git"), staleness);
                System.out.printf(Locale.ROOT, "latency %d ms per request, max-staleness %s: %d changes, p50 %.1f ms,"
                        + " p90 %.1f ms%n", LATENCY.toMillis(), staleness, nanos.size(), pct(nanos, 50),
                        pct(nanos, 90));
            }
        }
    }

    private List<Long> run(String url, String staleness) {
        var config = TestConfig.relay(tmp.resolve("data-" + staleness), "relay.gitops.url", url, "relay.gitops.token",
                TOKEN, "relay.gitops.max-staleness", staleness);
        GitOpsRepository repository = new GitOpsRepository(config, new GitOpsRemote(config),
                new SimpleMeterRegistry(), OpenTelemetry.noop().getTracer("bench"));
        List<Long> nanos = new ArrayList<>();
        try {
            for (int i = 0; i <= CHANGES; i++) {
                int n = i;
                String content = "tag: " + staleness + "-" + n + "\n";
                long t0 = System.nanoTime();
                repository.apply(snapshot -> Plan.commit(true, new PlannedCommit(
                        new TreeEdit().write("apps/shop/envs/staging/kustomization.yaml", content), "Change " + n,
                        List.of("event-" + staleness + "-" + n))));
                if (i > 0) {
                    // The first change pays for the empty cache's first fetch either way.
                    nanos.add(System.nanoTime() - t0);
                }
            }
        } finally {
            repository.close();
        }
        return nanos;
    }

    private static double pct(List<Long> nanos, int percentile) {
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        int index = (int) Math.ceil(percentile / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, index)) / 1e6;
    }
}
