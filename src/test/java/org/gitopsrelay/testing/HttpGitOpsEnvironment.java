package org.gitopsrelay.testing;

import static org.gitopsrelay.testing.GitCli.git;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import org.gitopsrelay.app.Onboarding;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;

/**
 * A GitOps remote the relay reaches over HTTP with a token, as it would a Git host: a bare repository seeded with the
 * demo app, served by a {@link GitHttpServer} whose fetches a test can hold to play a slow remote. The scheduled
 * refresh is pushed out of the way, so that every fetch a test sees is one it caused.
 */
public class HttpGitOpsEnvironment implements QuarkusTestResourceLifecycleManager {

    public static final String TOKEN = "gitops-token-5b9e";
    public static volatile GitHttpServer server;
    /** The remote's bare repository, for a test to push to as a person would (bypassing the server). */
    public static volatile Path bareRepository;

    private Path root;

    @Override
    public Map<String, String> start() {
        try {
            root = Files.createTempDirectory("relay-http-remote-");
            bareRepository = root.resolve("gitops.git");
            git(root, "init", "-q", "--bare", "-b", "main", bareRepository.toString());
            Path seed = root.resolve("seed");
            git(root, "clone", "-q", bareRepository.toString(), seed.toString());
            TestApps.commit(seed, Onboarding.demo(), "Seed the demo app");
            git(seed, "push", "-q", "origin", "HEAD:main");
            server = new GitHttpServer(root, "x-access-token", TOKEN);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot set up the GitOps remote over HTTP", e);
        }
        return Map.of(
                "relay.gitops.url", server.url("gitops.git"),
                "relay.gitops.token", TOKEN,
                "relay.gitops.refresh-interval", "PT1H",
                "relay.webhook.registry-wait", "PT1S");
    }

    @Override
    public void stop() {
        if (server != null) {
            server.releaseFetches();
            server.close();
        }
        if (root == null) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
